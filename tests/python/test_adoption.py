"""The adoption score (issue 11, part 2.4): models/adoption_v1.json applied to the signal layer, checked
against a pandas evaluation of the same JSON from DESIGN §4's formulas (mapping, missing policy,
w_eff = (W_g / Σ W present) · (w / Σ w present), points lost summing to 100 − score); bad model files;
the generator's ground truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import custhealth as ch
from custhealth.scorecard import model_text

T = "2024-10-01"


@pytest.fixture(scope="module")
def ds():
    return ch.generate(n_accounts=600, days=400, seed=7)


def pandas_score(ds, card: dict, as_of: str) -> pd.Series:
    """DESIGN §4's scorecard over ch.signals (itself pinned against pandas in test_signals.py)."""
    names = [m["signal"] for g in card["groups"] for m in g["measures"]]
    sig = ch.signals(ds, as_of=as_of, names=list(dict.fromkeys(names)), key_features=card["key_features"])
    acc = ds.table("accounts").set_index("account_id")
    t = pd.Timestamp(as_of)
    active = acc.start.notna() & (acc.start < t) & ~(acc.end.notna() & (acc.end < t))
    total = pd.Series(0.0, index=sig.index)
    group_weights = pd.Series(0.0, index=sig.index)
    parts = []
    for g in card["groups"]:
        scores, weights = [], []
        for m in g["measures"]:
            v = sig[m["signal"]]
            if "linear" in m["map"]:
                lo, hi = m["map"]["linear"]
                s = (100 * (v - lo) / (hi - lo)).clip(0, 100)
            else:
                bounds = [np.inf if b is None else b for b, _ in m["map"]["bins"]]
                values = [s for _, s in m["map"]["bins"]]
                s = v.map(lambda x: np.nan if np.isnan(x) else next(
                    (val for b, val in zip(bounds, values) if x < b), values[-1]))
            policy = m.get("missing", "reweight")
            fill = {"neutral": 50.0, "worst": 0.0}.get(policy, policy)
            if fill != "reweight":
                s = s.fillna(fill)
            scores.append(s)
            weights.append(s.notna() * m["weight"])
        present = sum(weights)
        group_score = sum((w * s.fillna(0)) for w, s in zip(weights, scores)) / present.where(present > 0)
        parts.append((g["weight"] * (present > 0), group_score))
        group_weights += g["weight"] * (present > 0)
    for gw, gs in parts:
        total += (gw * gs.fillna(0))
    return (total / group_weights.where(group_weights > 0)).where(active.reindex(sig.index, fill_value=False))


def test_score_is_the_model_applied_to_the_signals(ds):
    text, _ = model_text("adoption_v1")
    card = json.loads(text)
    got = ch.adoption(ds, as_of=T)
    expected = pandas_score(ds, card, T)
    np.testing.assert_allclose(got.score.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-10, equal_nan=True)
    lost = got.filter(like="lost:").sum(axis=1, min_count=1)
    scored = got.score.notna()
    np.testing.assert_allclose(lost[scored], 100 - got.score[scored], atol=1e-9)
    bands = pd.cut(got.score, [-np.inf, 40, 70, np.inf], right=False, labels=["low", "medium", "high"])
    assert (got.band.astype(object)[scored] == bands.astype(object)[scored]).all()
    assert got.attrs["model"] == "adoption_v1"
    # Accounts not active at T (not started yet, or ended before T) have no score.
    acc = ds.table("accounts").set_index("account_id").reindex(got.index)
    inactive = acc.start.isna() | (acc.start >= pd.Timestamp(T)) | (acc.end < pd.Timestamp(T))
    assert inactive.any() and got.score[inactive].isna().all()
    assert got.score[~inactive].notna().all()


def test_higher_true_health_has_higher_adoption(ds):
    # The generator's usage rate grows with health as 0.25 + 1.5·h (src/synth.cpp), with Poisson and
    # seat noise on top; a rank correlation of 0.35 is well below what its model gives (0.53 here).
    got = ch.adoption(ds)
    truth = ds.truth.reindex(got.index)
    ok = got.score.notna()
    rho = scipy.stats.spearmanr(got.score[ok], truth.true_health[ok]).statistic
    print(f"Spearman(adoption score, true health) = {rho:.3f} over {ok.sum()} accounts")
    assert rho > 0.35


def test_zero_seats_give_no_seat_utilisation(ds):
    frames = ds.to_frames()
    frames["accounts"].loc[frames["accounts"].index[:5], "seats"] = 0.0
    got = ch.adoption(ch.Dataset(**frames), as_of=T)
    first = frames["accounts"].account_id.iloc[:5]
    assert got.loc[first, "adoption.seat_utilisation"].isna().all()
    # The seats group is then reweighted away: the remaining groups' points still sum up.
    lost = got.filter(like="lost:").loc[first].sum(axis=1, min_count=1)
    s = got.score.loc[first]
    np.testing.assert_allclose(lost[s.notna()], 100 - s[s.notna()], atol=1e-9)


def write(tmp_path, card) -> str:
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card))
    return str(path)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["groups"][0]["measures"][0].pop("signal"), r"card.json: \$.groups\[0\].measures\[0\]: missing \"signal\""),
    (lambda c: c["groups"][1]["measures"][1].update(signal="usage.active_day_30d"),
     r"\$.groups\[1\].measures\[1\].signal: unknown signal \"usage.active_day_30d\": did you mean usage.active_days_30d"),
    (lambda c: c["groups"][0]["measures"][0]["map"].update(linear=[0, 1, 2]),
     r"\$.groups\[0\].measures\[0\].map.linear: needs 2 numbers, got 3"),
    (lambda c: c["groups"][0].update(weight=0), r"\$.groups\[0\].weight: must be > 0"),
    (lambda c: c["groups"][0]["measures"][0].update(missing="skip"), r"\$.groups\[0\].measures\[0\].missing: must be"),
    (lambda c: c.update(colour="red"), r"\$: unknown key \"colour\""),
    (lambda c: c["bands"][0].update(below=80), r"\$.bands\[1\].below: bounds must ascend"),
])
def test_bad_model_files_name_the_json_path(ds, tmp_path, edit, message):
    card = json.loads(model_text("adoption_v1")[0])
    edit(card)
    with pytest.raises(ch.ModelSpecError, match=message):
        ch.adoption(ds, as_of=T, model=write(tmp_path, card))


def test_bad_arguments(ds, tmp_path):
    for bad in (0, -3, 1.5):
        with pytest.raises(ch.InvalidInputError, match="window_days must be a whole number"):
            ch.adoption(ds, as_of=T, window_days=bad)
    with pytest.raises(ch.InvalidInputError, match="defined over 30 days"):
        ch.adoption(ds, as_of=T, window_days=7)
    with pytest.raises(ch.InvalidInputError, match="no model 'adoption_v9'.*adoption_v1"):
        ch.adoption(ds, model="adoption_v9")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    with pytest.raises(ch.ModelSpecError, match="broken.json: not valid JSON"):
        ch.adoption(ds, model=str(broken))


def test_time_to_value_is_days_from_start_to_the_first_key_feature(ds):
    import signals_reference as ref

    keys = ["dashboard_edit", "integration_setup", "no_such_event"]
    got = ch.signals(ds, as_of=T, names=["adoption.time_to_value_days"], key_features=keys)
    frames = {n: ref.plain(df) for n, df in ds.to_frames().items()}
    usage, acc = frames["usage"], frames["accounts"].set_index("account_id")
    first = usage[usage.event.isin(keys) & (usage.timestamp < pd.Timestamp(T))].groupby("account_id").timestamp.min()
    expected = ((first.reindex(acc.index) - acc.start).dt.total_seconds() / 86400).reindex(got.index.astype(str))
    np.testing.assert_allclose(got["adoption.time_to_value_days"].to_numpy(), expected.to_numpy(), equal_nan=True)
    assert got["adoption.time_to_value_days"].notna().sum() > 50
    # Without key features it is undefined.
    assert ch.signals(ds, as_of=T, names=["adoption.time_to_value_days"]).iloc[:, 0].isna().all()
