"""ch.Scorecard (issue 13): the shipped cards against a pandas/scipy implementation of DESIGN §4, the
explanations adding up, the same numbers from the command line, overrides, alerts, the JSON Schema,
bad cards with their JSON path, and the red band churning more than the green one on the generator."""

from __future__ import annotations

import copy
import io
import json
import math
import os
import pickle
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from scorecard_reference import reference_scores

ROOT = Path(__file__).resolve().parents[2]
CARDS = ["saas_health_v1", "payments_merchant_v1"]


@pytest.fixture(scope="module")
def ds() -> ch.Dataset:
    return ch.generate(n_accounts=400, days=500, seed=3)


def card_dict(name: str) -> dict:
    return json.loads((ROOT / "models" / f"{name}.json").read_text())


@pytest.mark.parametrize("name", CARDS)
def test_shipped_cards_equal_a_pandas_implementation(ds, name):
    card = ch.Scorecard.load(name)
    as_of = pd.Timestamp("2024-11-15")
    got = card.score(ds, as_of=as_of)
    signals = ch.signals(ds, as_of=as_of, names=card.signals)
    want = reference_scores(card_dict(name), signals, ds.table("accounts"), as_of)
    assert got["score"].notna().sum() > 200
    np.testing.assert_allclose(got["score"], want["score"], rtol=0, atol=1e-9)
    assert (got["band"].astype(object).fillna("-") == want["band"].astype(object).fillna("-")).all()
    for m in card.measures.index:
        np.testing.assert_allclose(got[m], want[m], rtol=0, atol=1e-9, err_msg=m)
        np.testing.assert_allclose(got[f"lost:{m}"], want[f"lost:{m}"], rtol=0, atol=1e-9, err_msg=m)


def test_top_factors_sum_to_100_minus_score_and_are_sorted(ds):
    card = ch.Scorecard.load("saas_health_v1")
    s = card.score(ds)
    for score, factors in zip(s["score"], s["top_factors"]):
        if math.isnan(score):
            assert factors == []
            continue
        points = [p for _, p in factors]
        assert points == sorted(points, reverse=True) and all(p > 0 for p in points)
        assert sum(points) == pytest.approx(100 - score, abs=1e-9)


def test_scaling_every_weight_changes_no_score(ds):
    d = card_dict("saas_health_v1")
    scaled = copy.deepcopy(d)
    for g in scaled["groups"]:
        g["weight"] *= 3.5
        for m in g["measures"]:
            m["weight"] *= 3.5
    a = ch.Scorecard.from_dict(d).score(ds)["score"]
    b = ch.Scorecard.from_dict(scaled).score(ds)["score"]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_trend_is_the_score_now_less_the_score_trend_days_earlier(ds):
    card = ch.Scorecard.load("saas_health_v1")
    T = pd.Timestamp("2024-11-15")
    now = card.score(ds, as_of=T)
    before = card.score(ds, as_of=T - pd.Timedelta(days=card.trend_days))
    np.testing.assert_array_equal(now["trend"], now["score"] - before["score"])


def test_overrides_replace_the_score_until_their_date_and_say_why(ds):
    d = card_dict("saas_health_v1")
    plain = ch.Scorecard.load("saas_health_v1").score(ds, as_of="2024-11-15")
    first = plain["score"].dropna().index[0]
    d["overrides"] = [{"account_id": first, "score": 12, "until": "2024-12-01", "reason": "exec escalation"}]
    card = ch.Scorecard.from_dict(d)
    s = card.score(ds, as_of="2024-11-15")
    row = s.loc[first]
    assert row["score"] == 12 and row["band"] == "red" and row["override"] == "exec escalation"
    assert row["top_factors"] == [("override: exec escalation", 88.0)]
    assert row["computed_score"] == plain.loc[first, "score"]
    assert card.score(ds, as_of="2024-12-01").loc[first, "override"] is None
    d["overrides"][0]["account_id"] = "nobody"
    with pytest.raises(ch.ModelSpecError, match=r"\$\.overrides\[0\]\.account_id: no account \"nobody\""):
        ch.Scorecard.from_dict(d).score(ds)


def test_explain_lists_the_measures_and_adds_up(ds):
    card = ch.Scorecard.load("saas_health_v1")
    s = card.score(ds)
    account = s["score"].idxmin()
    e = card.explain(account)
    assert e["points_lost"].sum() == pytest.approx(100 - s.loc[account, "score"], abs=1e-9)
    assert list(e.index[:2]) == [m for m, _ in s.loc[account, "top_factors"][:2]]
    # points lost = effective weight × (100 − measure score); the weights sum to 1.
    present = e["score"].notna()
    np.testing.assert_allclose(e.loc[present, "points_lost"], e.loc[present, "weight"] * (100 - e.loc[present, "score"]))
    assert e.loc[present, "weight"].sum() == pytest.approx(1.0)
    with pytest.raises(ch.InvalidInputError, match="no account"):
        card.explain("nobody")
    # The analytics built on a card leave what explain() reads alone.
    ch.backtest(ds, card, as_of=["2024-06-01"])
    assert card.scores_.equals(s) and card.explain(account).equals(e)
    # Sorting the frame score() returned does not move what explain() reads.
    s.sort_values("score", ascending=False, inplace=True)
    assert card.explain(account).equals(e)


def test_the_command_line_gives_the_same_bits(ds, tmp_path):
    cli = os.environ.get("CUSTHEALTH_CLI")
    if not cli:
        pytest.skip("CUSTHEALTH_CLI is not set")
    ds.to_csv(tmp_path)
    back = ch.read_csv(directory=tmp_path)
    card = ch.Scorecard.load("saas_health_v1")
    want = card.score(back, as_of="2024-11-15")
    out = subprocess.run([cli, "score", "--data", str(tmp_path), "--as-of", "2024-11-15"], check=True,
                         capture_output=True, text=True).stdout
    got = pd.read_csv(io.StringIO(out), index_col="account_id", float_precision="round_trip")
    assert list(got.index) == list(want.index)
    np.testing.assert_array_equal(got["score"].to_numpy(), want["score"].to_numpy())
    np.testing.assert_array_equal(got["trend"].to_numpy(), want["trend"].to_numpy())
    for m in card.measures.index:
        np.testing.assert_array_equal(got[m].to_numpy(), want[m].to_numpy())
    top = got["top_factors"].fillna("").map(lambda t: [(f.rsplit(":", 1)[0], float(f.rsplit(":", 1)[1]))
                                                       for f in t.split(";") if f])
    assert top.tolist() == want["top_factors"].tolist()
    # Without --as-of both default to the earliest end of the event tables.
    default = pd.read_csv(io.StringIO(subprocess.run([cli, "score", "--data", str(tmp_path)], check=True,
                                                     capture_output=True, text=True).stdout), index_col="account_id",
                          float_precision="round_trip")
    np.testing.assert_array_equal(default["score"].to_numpy(), card.score(back)["score"].to_numpy())
    js = json.loads(subprocess.run([cli, "score", "--data", str(tmp_path), "--as-of", "2024-11-15", "--format", "json"],
                                   check=True, capture_output=True, text=True).stdout)
    scores = [r["score"] if r["score"] is not None else np.nan for r in js["scores"]]
    np.testing.assert_array_equal(np.array(scores), want["score"].to_numpy())
    alerts = subprocess.run([cli, "score", "--data", str(tmp_path), "--as-of", "2024-11-15", "--alerts"], check=True,
                            capture_output=True, text=True).stdout
    got_alerts = pd.read_csv(io.StringIO(alerts))
    want_alerts = card.alerts(back, as_of="2024-11-15")
    assert got_alerts["message"].tolist() == want_alerts["message"].tolist()
    assert got_alerts["account_id"].tolist() == want_alerts["account_id"].astype(str).tolist()


def test_alerts_start_once_and_carry_owner_and_reason(ds):
    card = ch.Scorecard.load("saas_health_v1")
    days = list(pd.date_range("2024-11-01", "2024-11-15", freq="D"))
    listed = card.alerts(ds, as_of=days)
    assert set(listed.columns) == {"account_id", "kind", "severity", "time", "as_of", "owner", "message"}
    # No alert is reported twice in a row of days: each (account, kind) appears again only after a gap.
    for (_, _), g in listed.groupby(["account_id", "kind"], observed=True):
        gaps = g["as_of"].diff().dropna()
        assert (gaps > pd.Timedelta(days=1)).all()
    # The first day's alerts are those active then; a later day's are active then and not the day before.
    for i in (0, 5, 14):
        active = card.alerts(ds, as_of=days[i])
        key = set(zip(active["account_id"], active["kind"]))
        if i == 0:
            assert key == set(zip(*[listed.loc[listed["as_of"] == days[0], c] for c in ("account_id", "kind")]))
        else:
            before = card.alerts(ds, as_of=days[i - 1])
            started = key - set(zip(before["account_id"], before["kind"]))
            here = listed[listed["as_of"] == days[i]]
            assert started == set(zip(here["account_id"], here["kind"]))
    one = card.alerts(ds, as_of="2024-11-15")
    owners = ds.table("accounts").set_index("account_id")["owner"].astype(object)
    assert (one["owner"].fillna("-") == owners.loc[one["account_id"]].fillna("-").to_numpy()).all()
    inactive = one[one["kind"] == "inactive"]
    signals = ch.signals(ds, as_of="2024-11-15", names=["usage.days_since_last"])
    for _, a in inactive.iterrows():
        since = signals.loc[a["account_id"], "usage.days_since_last"]
        if not math.isnan(since):
            assert since >= 14
            assert a["time"] == pd.Timestamp("2024-11-15") - pd.Timedelta(seconds=round((since - 14) * 86400))
    assert one["severity"].cat.categories.tolist() == ["low", "medium", "high"]


def test_cards_and_their_json_match_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "models" / "scorecard.schema.json").read_text())
    for name in CARDS + ["adoption_v1"]:
        jsonschema.validate(card_dict(name), schema)
        card = ch.Scorecard.load(name)
        jsonschema.validate(card.to_dict(), schema)
        assert ch.Scorecard.from_json(card.to_json()) == card
        assert pickle.loads(pickle.dumps(card)) == card


DELETE = object()
M = "groups.0.measures.0."
# (path, value, the loader's message, whether the JSON Schema refuses it too: ascending bounds, equal
# linear ends, signal names and dates are the loader's own checks, listed in the schema's description)
BAD = [
    (M + "weight", DELETE, r"\$\.groups\[0\]\.measures\[0\]: missing \"weight\"", True),
    (M + "weight", -1, r"\$\.groups\[0\]\.measures\[0\]\.weight: must be > 0", True),
    (M + "map", {"bins": [[5, 0], [2, 50]]}, r"map\.bins\[1\]\[0\]: bounds must ascend", False),
    (M + "map", {"linear": [3, 3]}, r"map\.linear: the two ends must differ", False),
    (M + "signal", "usage.event_30d", r"measures\[0\]\.signal: unknown signal .*did you mean", False),
    (M + "map", {"sigmoid": [0, 1]}, r"map: unknown key \"sigmoid\"", True),
    (M + "missing", "ignore", r"measures\[0\]\.missing: must be \"reweight\"", True),
    ("bands", [{"name": "a", "below": 50}, {"name": "b", "below": 40}, {"name": "c"}],
     r"\$\.bands\[1\]\.below: bounds must ascend", False),
    ("overrides", [{"account_id": "x", "score": 5, "until": "next week", "reason": "r"}],
     r"\$\.overrides\[0\]\.until: must be a date", False),
    ("groups.0.measures", [], r"\$\.groups\[0\]\.measures: must not be empty", True),
    ("version", 7, r"\$\.version: version 7 is newer than this library reads", True),
]


def bad_card(path, value):
    d = {"name": "c", "bands": [{"name": "x", "below": 50}, {"name": "y"}],
         "groups": [{"name": "g", "weight": 1, "measures": [{"signal": "nps.last", "weight": 1, "map": {"linear": [0, 10]}}]}]}
    *parents, last = path.split(".")
    node = d
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return d


@pytest.mark.parametrize("path,value,message,schema_sees", BAD)
def test_bad_cards_are_refused_with_their_path(path, value, message, schema_sees):
    with pytest.raises(ch.ModelSpecError, match=message):
        ch.Scorecard.from_dict(bad_card(path, value))


@pytest.mark.parametrize("path,value,message,schema_sees", BAD)
def test_the_schema_refuses_the_bad_cards_it_can_see(path, value, message, schema_sees):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "models" / "scorecard.schema.json").read_text())
    d = bad_card(path, value)
    if schema_sees:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(d, schema)
    else:
        jsonschema.validate(d, schema)


def test_whole_numbers_written_as_floats_pass_both_the_schema_and_the_loader():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "models" / "scorecard.schema.json").read_text())
    d = card_dict("saas_health_v1")
    d["trend_days"], d["alerts"]["inactive_days"] = 30.0, 14.0
    jsonschema.validate(d, schema)
    assert ch.Scorecard.from_dict(d).trend_days == 30


def test_a_card_that_is_not_json_names_line_and_column():
    with pytest.raises(ch.ModelSpecError, match=r"not valid JSON.*line 2, column"):
        ch.Scorecard.from_json('{"name": "c",\n "bands": [')


def test_unknown_shipped_name_lists_the_shipped_cards():
    with pytest.raises(ch.InvalidInputError, match="saas_health_v1"):
        ch.Scorecard.load("saas_health_v9")
    assert set(CARDS) <= set(ch.Scorecard.shipped()) and "scorecard.schema" not in ch.Scorecard.shipped()


def test_red_accounts_churn_more_than_green_ones_on_the_generator():
    # Issue 13, generator ground truth (src/synth.cpp, "Churn"): an account decides to leave in a week
    # with probability λ = logistic(α + β x), α = −5.6, β = −2.2, x its logit health, and the contract
    # ends 4–12 weeks (mean 8) after the decision. So an account at health x ends within 90 days
    # (13 weeks) with probability about (1 − (1 − λ)^13) · (13 − 8)/13 if it has not decided yet; the
    # band's mean of that is the model's gap between red and green (a lower bound: it leaves out the
    # accounts already under notice, whose true probability is 1). The card must reach at least half
    # of that gap in the generator's own expectation at the end (`true_churn_probability`, P(end <
    # T + 90 d) under the model) and in the churn observed in the 90 days after an earlier date.
    ds = ch.generate(n_accounts=2000, days=730, seed=11)
    card = ch.Scorecard.load("saas_health_v1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = card.score(ds, as_of="2025-01-01")
    truth = ds.truth
    x = np.log(truth["true_health"] / (1 - truth["true_health"]))
    lam = 1 / (1 + np.exp(5.6 + 2.2 * x))
    model_rate = ((1 - (1 - lam) ** 13) * (13 - 8) / 13).groupby(s["band"], observed=True).mean()
    model_gap = model_rate["red"] - model_rate["green"]
    expected = truth["true_churn_probability"].groupby(s["band"], observed=True).mean()
    assert model_gap > 0.02
    assert expected["red"] - expected["green"] >= model_gap / 2
    T = pd.Timestamp("2024-10-03")
    earlier = card.score(ds, as_of=T)
    end = ds.table("accounts")["end"].to_numpy()
    churned = pd.Series((end >= T) & (end < T + pd.Timedelta(days=90)), index=earlier.index)
    observed = churned.groupby(earlier["band"], observed=True).mean()
    assert observed["red"] - observed["green"] >= model_gap / 2


def test_plots_draw_the_bands_and_the_waterfall(ds):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    card = ch.Scorecard.load("saas_health_v1")
    ax = card.plot_bands(ds, as_of=["2024-09-01", "2024-10-01", "2024-11-01"])
    tops = [sum(p.get_height() for p in ax.patches if p.get_x() == x) for x in {p.get_x() for p in ax.patches}]
    assert tops == pytest.approx([1.0] * 3)  # shares of the scored accounts per date
    s = card.score(ds)
    account = s["score"].idxmin()
    ax = card.plot_waterfall(account)
    bars = ax.patches
    assert bars[0].get_height() == 100 and bars[-1].get_height() == pytest.approx(s.loc[account, "score"])
    assert sum(b.get_height() for b in bars[1:-1]) == pytest.approx(100 - s.loc[account, "score"])


def test_scoring_signals_already_computed_gives_the_same_scores(ds):
    card = ch.Scorecard.load("payments_merchant_v1")
    T = pd.Timestamp("2024-11-15")
    full = card.score(ds, as_of=T)
    again = card.score(ds, as_of=T, signals=ch.signals(ds, as_of=T, names=card.signals))
    measures = list(card.measures.index)
    pd.testing.assert_frame_equal(again[["score", "band", *measures]], full[["score", "band", *measures]])
    assert again["trend"].isna().all()
    with pytest.raises(ch.InvalidInputError, match="lack"):
        card.score(ds, as_of=T, signals=ch.signals(ds, as_of=T, names=["nps.last"]))
    with pytest.raises(ch.InvalidInputError, match="indexed by the dataset's accounts"):
        card.score(ds, as_of=T, signals=ch.signals(ds, as_of=T, names=card.signals).iloc[::-1])


def test_backtest_of_a_card_equals_scikit_learn_on_the_labels_from_end_dates():
    from sklearn.metrics import average_precision_score, roc_auc_score

    ds = ch.generate(n_accounts=800, days=730, seed=5)
    card = ch.Scorecard.load("saas_health_v1")
    dates = [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-01")]
    bt = ch.backtest(ds, card, as_of=dates, horizon_days=90)
    end = ds.table("accounts")["end"]
    for t in dates:
        s = card.score(ds, as_of=t)
        scored = s["score"].notna().to_numpy()
        churned = ((end >= t) & (end < t + pd.Timedelta(days=90))).to_numpy()[scored].astype(int)
        risk = 100 - s["score"].to_numpy()[scored]
        row = bt.loc[t]
        assert row["n"] == scored.sum() and row["churned"] == churned.sum()
        assert row["roc_auc"] == pytest.approx(roc_auc_score(churned, risk), abs=1e-12)
        assert row["pr_auc"] == pytest.approx(average_precision_score(churned, risk), abs=1e-12)
        bands = s["band"].to_numpy()[scored]
        for b in card.bands:
            assert row[f"churn_rate:{b}"] == pytest.approx(churned[bands == b].mean(), abs=1e-12)
        assert math.isnan(row["brier"])
    assert (bt["roc_auc"] > 0.7).all()


def test_rescore_with_other_weights_equals_the_pandas_reference(ds):
    card = ch.Scorecard.load("saas_health_v1")
    T = pd.Timestamp("2024-11-15")
    s = card.score(ds, as_of=T, top_factors=False)
    measures = list(card.measures.index)
    block = np.ascontiguousarray(s[measures].to_numpy().T)
    d = card_dict("saas_health_v1")
    rng = np.random.default_rng(3)
    group_w = rng.uniform(1, 50, len(d["groups"]))
    measure_w = rng.uniform(0.1, 5, len(measures))
    j = 0
    for g, gw in zip(d["groups"], group_w):
        g["weight"] = float(gw)
        for m in g["measures"]:
            m["weight"] = float(measure_w[j])
            j += 1
    got = ch._core.scorecard_rescore(card._native, block, list(group_w), list(measure_w))
    want = reference_scores(d, ch.signals(ds, as_of=T, names=card.signals), ds.table("accounts"), T)["score"]
    np.testing.assert_allclose(got, want.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ch._core.scorecard_rescore(card._native, block, [g["weight"] for g in
                                  card_dict("saas_health_v1")["groups"]], list(card.measures["weight"])),
                                  s["computed_score"].to_numpy())


def test_tune_learns_weights_that_rank_the_held_out_date_better():
    from sklearn.metrics import roc_auc_score

    ds = ch.generate(n_accounts=1500, days=730, seed=9)
    # A card whose heaviest group is noise for churn (seats), the usage group light.
    d = {"name": "noisy", "bands": [{"name": "red", "below": 40}, {"name": "green"}], "groups": [
        {"name": "use", "weight": 10, "measures": [
            {"signal": "usage.active_days_30d", "weight": 1, "map": {"linear": [0, 20]}, "missing": "worst"},
            {"signal": "usage.days_since_last", "weight": 1, "map": {"linear": [30, 0]}, "missing": "worst"}]},
        {"name": "size", "weight": 90, "measures": [
            {"signal": "account.seats", "weight": 1, "map": {"percentile": {}}}]}]}
    card = ch.Scorecard.from_dict(d)
    dates = list(pd.date_range("2023-09-01", "2024-09-01", freq="2MS"))
    tuned = ch.tune(card, ds, as_of=dates, horizon_days=90)
    t = tuned.tuning_
    assert t.loc["train", "roc_auc_after"] >= t.loc["train", "roc_auc_before"]
    assert t.loc["validation", "roc_auc_after"] > t.loc["validation", "roc_auc_before"] + 0.02
    w = tuned.measures
    assert w.loc["use/usage.active_days_30d", "group_weight"] > w.loc["size/account.seats", "group_weight"]
    assert sum(g["weight"] for g in tuned.to_dict()["groups"]) == pytest.approx(100)
    # The validation number is the tuned card's ROC AUC at the last date, as scikit-learn computes it.
    last = dates[-1]
    s = tuned.score(ds, as_of=last)
    end = ds.table("accounts")["end"]
    keep = s["score"].notna().to_numpy()
    y = ((end >= last) & (end < last + pd.Timedelta(days=90))).to_numpy()[keep]
    assert t.loc["validation", "roc_auc_after"] == pytest.approx(roc_auc_score(y, 100 - s["score"].to_numpy()[keep]),
                                                                abs=1e-12)
    again = ch.tune(card, ds, as_of=dates, horizon_days=90)
    assert again.to_json() == tuned.to_json()
    with pytest.raises(ch.InvalidInputError, match="objective"):
        ch.tune(card, ds, as_of=dates, objective="accuracy")
    with pytest.raises(ch.InvalidInputError, match="complete 90-day horizon"):
        ch.tune(card, ds, as_of=["2024-12-15"])
    with pytest.raises(TypeError):
        ch.tune(d, ds, as_of=dates)
