"""Surveys from Python: NPS / CSAT / CES results against published values, statsmodels and scipy;
grouped summaries against an independent pandas computation on seeded random data (empty groups,
groups of one, unanimous groups, every period, windows); zero-copy input; merges; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

import custhealth as ch
from custhealth import feedback

# pandas' period aliases for ours: ISO weeks run Monday..Sunday, i.e. weeks ending on Sunday.
FREQ = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q"}
Z95 = stats.norm.ppf(0.975)


def random_answers(seed: int = 1, n: int = 6000, low: int = 0, high: int = 10) -> pd.DataFrame:
    """Answers over ~8 months; segment is categorical with an unused category and missing values,
    plus a segment with one answer, one of only promoters (top scores) and one of only detractors
    (bottom scores); owner is a plain string column with missing values."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-11-20")
    df = pd.DataFrame({
        "segment": rng.choice(["enterprise", "smb", "mid", None], n, p=[0.3, 0.4, 0.2, 0.1]),
        "owner": rng.choice(["ann", "bob", None], n),
        "timestamp": start + pd.to_timedelta(rng.integers(0, 240 * 86400, n), unit="s"),
        "score": rng.integers(low, high + 1, n).astype(float),
    })
    extra = pd.DataFrame({
        "segment": ["single"] + ["top"] * 5 + ["bottom"] * 7,
        "owner": ["ann"] * 13,
        "timestamp": [pd.Timestamp("2024-02-10")] * 13,
        "score": [float(high)] + [float(high)] * 5 + [float(low)] * 7,
    })
    df = pd.concat([df, extra], ignore_index=True).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df["segment"] = pd.Categorical(df["segment"], categories=["bottom", "enterprise", "mid", "never", "single", "smb", "top"])
    return df


def pandas_period(ts: pd.Series, period: str | None) -> pd.Series:
    if period is None:
        return pd.Series(pd.NaT, index=ts.index, dtype="datetime64[ns]")
    return ts.dt.to_period(FREQ[period]).dt.start_time


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as objects: pandas 1.5 drops missing categorical keys even with dropna=False."""
    return df.assign(**{c: df[c].astype(object) for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)})


def pandas_nps(df: pd.DataFrame, by: list[str], period: str | None) -> pd.DataFrame:
    """The textbook computation with pandas: counts per group, then the formulas of DESIGN §4."""
    df = plain(df)
    d = df.assign(period=pandas_period(df.timestamp, period),
                  promoter=df.score >= 9, detractor=df.score <= 6, passive=df.score.between(7, 8))
    g = d.groupby(by + ["period"], observed=True, dropna=False, sort=True)
    out = g.agg(n=("score", "size"), promoters=("promoter", "sum"), passives=("passive", "sum"),
                detractors=("detractor", "sum")).reset_index()
    p, q = out.promoters / out.n, out.detractors / out.n
    out["score"] = 100 * (p - q)
    out["se"] = 100 * np.sqrt(((p + q) - (p - q) ** 2) / out.n)
    out["ci_low"] = (out.score - Z95 * out.se).clip(lower=-100)
    out["ci_high"] = (out.score + Z95 * out.se).clip(upper=100)
    return out


def compare(ours: pd.DataFrame, theirs: pd.DataFrame, by: list[str], columns: list[str], rtol: float = 1e-12) -> None:
    key = by + ["period"]
    a = ours.assign(**{k: ours[k].astype(object) for k in by}).sort_values(key, na_position="first").reset_index(drop=True)
    b = theirs.assign(**{k: theirs[k].astype(object) for k in by}).sort_values(key, na_position="first").reset_index(drop=True)
    assert len(a) == len(b)
    pd.testing.assert_frame_equal(a[key], b[key], check_dtype=False)
    for c in columns:
        np.testing.assert_allclose(a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float), rtol=rtol, atol=1e-12,
                                   err_msg=c)


# ---- single groups -------------------------------------------------------------------------------

def test_nps_published_shares_example():
    # Shares (1/2, 1/3, 1/6): NPS 33.3, respondent variance 5/9, at n = 100 SE 7.45 and ±14.6.
    r = ch.nps([10] * 300 + [7] * 200 + [0] * 100)
    assert (r.n, r.promoters, r.passives, r.detractors) == (600, 300, 200, 100)
    assert r.score == pytest.approx(100 / 3)
    se_at_100 = r.se * np.sqrt(600 / 100)
    assert se_at_100 == pytest.approx(7.45, abs=0.005)
    assert Z95 * se_at_100 == pytest.approx(14.6, abs=0.05)
    assert r.ci_low == pytest.approx(r.score - Z95 * r.se)
    assert "NpsResult(score=33.3" in repr(r)


def test_csat_wilson_matches_published_values_and_statsmodels():
    for k, (low, high) in {7: (0.069508, 0.261862), 45: (0.786398, 0.956524)}.items():
        r = ch.csat([5] * k + [1] * (50 - k))
        assert r.ci_low / 100 == pytest.approx(low, abs=1e-6)
        assert r.ci_high / 100 == pytest.approx(high, abs=1e-6)
        sm = proportion_confint(k, 50, alpha=0.05, method="wilson")
        assert (r.ci_low / 100, r.ci_high / 100) == pytest.approx(sm, abs=1e-12)
    r = ch.csat([1, 2, 3, 4, 5, 5, 7], scale=7, top_boxes=3, confidence=0.9)
    assert r.satisfied == 3 and r.score == pytest.approx(300 / 7)  # 5, 5, 7 are the top three boxes of 7
    assert (r.ci_low / 100, r.ci_high / 100) == pytest.approx(proportion_confint(3, 7, alpha=0.1, method="wilson"))
    assert r.se == pytest.approx(100 * np.sqrt(3 / 7 * 4 / 7 / 7))


def test_ces_t_interval_matches_scipy():
    x = np.array([1, 2, 2, 3, 5, 7, 4, 4, 6], dtype=float)
    r = ch.ces(x, confidence=0.9)
    low, high = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert r.score == pytest.approx(x.mean())
    assert r.se == pytest.approx(stats.sem(x))
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high))
    assert np.isnan(ch.ces([3]).ci_low)  # one answer: no interval


def test_empty_and_unanimous_groups():
    empty = ch.nps(np.array([], dtype=float))
    assert empty.n == 0 and np.isnan(empty.score) and np.isnan(empty.se) and np.isnan(empty.ci_low)
    assert ch.nps([10, 9]).score == 100 and ch.nps([10, 9]).se == 0 and ch.nps([10, 9]).ci_low == 100
    assert ch.nps([0, 3]).score == -100
    assert ch.nps([8]).score == 0 and ch.nps([8]).se == 0  # a group of one


def test_results_merge_exactly():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 11, 1000).astype(float)
    whole = ch.nps(x)
    assert ch.nps(x[:100]) + ch.nps(x[100:700]) + ch.nps(x[700:]) == whole
    assert ch.nps(x[700:]) + (ch.nps(x[100:700]) + ch.nps(x[:100])) == whole
    assert (ch.csat([5, 4]) + ch.csat([1])).n == 3
    with pytest.raises(ValueError):
        ch.csat([5]) + ch.csat([5], scale=7)


def test_two_sample_tests():
    a, b = [10] * 50 + [0] * 10, [10] * 30 + [0] * 30
    t = ch.nps_test(a, b)
    ra, rb = ch.nps(a), ch.nps(b)
    assert t.difference == pytest.approx(ra.score - rb.score)
    assert t.z == pytest.approx(t.difference / np.hypot(ra.se, rb.se))
    assert t.p_value == pytest.approx(2 * stats.norm.sf(abs(t.z)))
    assert ch.nps_test(ra, rb).z == t.z
    c = ch.csat_test([5] * 45 + [1] * 5, [5] * 30 + [2] * 20)
    z, p = proportions_ztest([45, 30], [50, 50])
    assert (c.z, c.p_value) == pytest.approx((z, p))
    assert np.isnan(ch.nps_test([], [10]).z)
    assert "ZTestResult(" in repr(c)


# ---- grouped -------------------------------------------------------------------------------------

@pytest.mark.parametrize("period", ["D", "W", "M", "Q", None])
def test_grouped_nps_equals_pandas(period):
    df = random_answers(seed=2)
    ours = ch.feedback_summary(df, "nps", by=["segment"], period=period)
    assert list(ours.columns) == ["segment", "period", "n", "score", "se", "ci_low", "ci_high", "promoters",
                                  "passives", "detractors"]
    assert isinstance(ours.segment.dtype, pd.CategoricalDtype)  # the input's categories, kept
    assert "never" not in set(ours.segment.dropna())             # an empty category: no row
    compare(ours, pandas_nps(df, ["segment"], period), ["segment"],
            ["n", "score", "se", "ci_low", "ci_high", "promoters", "passives", "detractors"])
    if period == "M":
        top = ours[ours.segment == "top"].iloc[0]
        assert (top.score, top.se, top.ci_high) == (100.0, 0.0, 100.0)
        assert ours[ours.segment == "bottom"].iloc[0].score == -100.0
        assert ours[ours.segment == "single"].iloc[0].n == 1


def test_grouped_by_two_keys_with_missing_values():
    df = random_answers(seed=3)
    ours = ch.feedback_summary(df, by=["owner", "segment"], period="M")
    compare(ours, pandas_nps(df, ["owner", "segment"], "M"), ["owner", "segment"], ["n", "score", "se", "ci_low"])
    assert ours.owner.isna().any() and ours.segment.isna().any()  # missing keys: groups of their own
    assert ours.owner.dtype == object


def test_grouped_as_of_and_trailing_window():
    df = random_answers(seed=4)
    as_of = pd.Timestamp("2024-03-15 12:00")
    ours = ch.feedback_summary(df, by="segment", period="W", as_of=as_of)
    compare(ours, pandas_nps(df[df.timestamp < as_of], ["segment"], "W"), ["segment"], ["n", "score", "se"])
    window = ch.feedback_summary(df, by="segment", as_of=as_of, window_days=30)
    inside = df[(df.timestamp >= as_of - pd.Timedelta(days=30)) & (df.timestamp < as_of)]
    theirs = pandas_nps(inside, ["segment"], None).assign(period=as_of - pd.Timedelta(days=30))
    compare(window, theirs, ["segment"], ["n", "score", "se", "ci_low", "ci_high"])
    # A segment with every answer after as-of is empty: no row.
    late = df.assign(segment=df.segment.cat.add_categories("late"))
    late.loc[late.index[:3], ["segment", "timestamp"]] = ["late", pd.Timestamp("2025-01-01")]
    assert "late" not in set(ch.feedback_summary(late, by="segment", as_of=as_of).segment.dropna())


def test_grouped_csat_and_ces_equal_pandas():
    df = random_answers(seed=5, low=1, high=5)
    ours = ch.feedback_summary(df, "csat", by="segment", period="M")
    d = plain(df).assign(period=pandas_period(df.timestamp, "M"), sat=df.score >= 4)
    g = d.groupby(["segment", "period"], observed=True, dropna=False).agg(n=("score", "size"), satisfied=("sat", "sum"),
                                                                          mean=("score", "mean")).reset_index()
    low, high = proportion_confint(g.satisfied, g.n, alpha=0.05, method="wilson")
    g["score"] = 100 * g.satisfied / g.n
    g["ci_low"], g["ci_high"] = 100 * low, 100 * high
    compare(ours, g, ["segment"], ["n", "satisfied", "score", "ci_low", "ci_high", "mean"])

    ces = random_answers(seed=6, low=1, high=7)
    ours = ch.feedback_summary(ces, "ces", by="segment", period="Q")
    d = plain(ces).assign(period=pandas_period(ces.timestamp, "Q"))
    g = d.groupby(["segment", "period"], observed=True, dropna=False).score.agg(["size", "mean", "std", "sem"]).reset_index()
    t = stats.t.ppf(0.975, g["size"] - 1)
    g = g.assign(n=g["size"], score=g["mean"], sd=g["std"], se=g["sem"], ci_low=g["mean"] - t * g["sem"],
                 ci_high=g["mean"] + t * g["sem"])
    # NaN for groups of one; Boost's and scipy's t quantiles agree to ~1e-10.
    compare(ours, g, ["segment"], ["n", "score", "sd", "se", "ci_low", "ci_high"], rtol=1e-8)


def test_kind_column_selects_rows():
    df = random_answers(seed=7)
    df["kind"] = np.where(np.arange(len(df)) % 3 == 0, "csat", "nps")
    df.loc[df.kind == "csat", "score"] = 42.0  # out of NPS range, but not an NPS answer
    ours = ch.feedback_summary(df, "nps", by="segment", period="M")
    compare(ours, pandas_nps(df[df.kind == "nps"], ["segment"], "M"), ["segment"], ["n", "score"])
    assert ch.feedback_summary(df, "ces", period="M").empty  # no CES answers


def test_splitting_and_merging_gives_the_same_counts():
    df = random_answers(seed=8)
    whole = ch.feedback_summary(df, by="segment", period="M")
    parts = [ch.feedback_summary(df.iloc[i::3], by="segment", period="M") for i in range(3)]
    merged = (plain(pd.concat(parts)).groupby(["segment", "period"], observed=True, dropna=False)
              [["n", "promoters", "passives", "detractors"]].sum().reset_index())
    compare(whole, merged, ["segment"], ["n", "promoters", "passives", "detractors"])
    shuffled = ch.feedback_summary(df.sample(frac=1.0, random_state=1), by="segment", period="M")
    pd.testing.assert_frame_equal(shuffled, whole)


def test_dataset_path_groups_by_account_attributes():
    ds = ch.generate(n_accounts=150, days=300, seed=11)
    surveys = ds.table("surveys")
    accounts = ds.table("accounts")[["account_id", "segment"]]
    df = surveys[surveys.kind == "nps"].merge(accounts, on="account_id", how="left")
    ours = ch.feedback_summary(ds, "nps", by=["segment"], period="M")
    compare(ours, pandas_nps(df, ["segment"], "M"), ["segment"], ["n", "score", "se", "ci_low", "ci_high"])
    by_account = ch.feedback_summary(ds, "csat", by="account_id", period=None)
    assert by_account.n.sum() == (surveys.kind == "csat").sum()
    with pytest.raises(ch.InvalidInputError, match="unknown key 'region'"):
        ch.feedback_summary(ds, by="region")


def test_float64_series_and_datetime_column_are_read_in_place():
    df = random_answers(seed=9)
    raw, _ = feedback._raw(df, "nps", ["segment"], "M", None, None, 5, 2, 0.95, "timestamp", "score", "kind")
    inputs = raw["inputs"]
    assert inputs["score"] == df["score"].to_numpy().__array_interface__["data"][0]
    assert inputs["time"] == df["timestamp"].to_numpy().__array_interface__["data"][0]
    assert inputs["keys"]["segment"] == df["segment"].array.codes.__array_interface__["data"][0]
    # Another dtype is converted once, with the same result.
    as_int = df.assign(score=df.score.astype(np.int64))
    pd.testing.assert_frame_equal(ch.feedback_summary(as_int, by="segment"), ch.feedback_summary(df, by="segment"))


def test_times_as_strings_epoch_seconds_and_time_zones_agree():
    df = random_answers(seed=10, n=500)
    want = ch.feedback_summary(df, by="segment", period="D")
    seconds = df.assign(timestamp=df.timestamp.astype("int64") // 10**9)
    pd.testing.assert_frame_equal(ch.feedback_summary(seconds, by="segment", period="D"), want)
    text = df.assign(timestamp=df.timestamp.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    pd.testing.assert_frame_equal(ch.feedback_summary(text, by="segment", period="D"), want)
    aware = df.assign(timestamp=df.timestamp.dt.tz_localize("UTC").dt.tz_convert("America/New_York"))
    pd.testing.assert_frame_equal(ch.feedback_summary(aware, by="segment", period="D"), want)


def test_bad_input_raises_invalid_input_error():
    df = random_answers(seed=12, n=100)
    for bad in (11.0, -1.0, 7.5, np.nan):
        with pytest.raises(ch.InvalidInputError, match=r"surveys\[5\]: NPS must be an integer 0..10"):
            ch.feedback_summary(df.assign(score=np.where(np.arange(len(df)) == 5, bad, df.score)))
    with pytest.raises(ValueError, match="NPS must be an integer 0..10, got 11"):
        ch.nps([1, 11])
    with pytest.raises(ch.InvalidInputError, match="CSAT must be an integer 1..5, got 0"):
        ch.csat([0])
    with pytest.raises(ch.InvalidInputError, match="unknown survey kind 'xps'"):
        ch.feedback_summary(df, "xps")
    with pytest.raises(ch.InvalidInputError, match="unknown period"):
        ch.feedback_summary(df, period="Y")
    with pytest.raises(ch.InvalidInputError, match="window_days must be a whole number of days ≥ 1"):
        ch.feedback_summary(df, window_days=0)
    with pytest.raises(ch.InvalidInputError, match="missing required column 'score'"):
        ch.feedback_summary(df.drop(columns="score"))
    with pytest.raises(ch.InvalidInputError, match="unknown key 'region'"):
        ch.feedback_summary(df, by="region")
    with pytest.raises(ch.InvalidInputError, match="unknown survey kind 'nsp'"):
        ch.feedback_summary(df.assign(kind="nsp"))
    with pytest.raises(ch.InvalidInputError, match="'timestamp' is empty"):
        ch.feedback_summary(df.assign(timestamp=pd.NaT))
    with pytest.raises(ch.InvalidInputError, match="confidence"):
        ch.nps([1], confidence=1.5)
    with pytest.raises(ch.InvalidInputError, match="must be numeric"):
        ch.nps(["a"])
    with pytest.raises(TypeError):
        ch.feedback_summary([1, 2, 3])
    empty = ch.feedback_summary(df.iloc[:0], by="segment")
    assert empty.empty and list(empty.columns) == ["segment", "period"] + list(feedback.COLUMNS["nps"])


def test_a_dataset_remembers_its_csat_scale(tmp_path):
    # Issue 12, defect 9: a dataset loaded with csat_scale=10 had its summaries check 1..5 again.
    surveys = pd.DataFrame({"account_id": ["a", "a", "b", "b"], "timestamp": ["2024-01-03", "2024-01-09", "2024-01-05",
                                                                            "2024-02-02"],
                            "kind": ["csat"] * 4, "score": [7.0, 9.0, 10.0, 3.0]})
    path = tmp_path / "surveys.csv"
    surveys.to_csv(path, index=False)
    for ds in (ch.Dataset(surveys=surveys, csat_scale=10), ch.read_csv(surveys=path, csat_scale=10)):
        assert ds.csat_scale == 10
        out = ch.feedback_summary(ds, kind="csat", period="M")
        # By hand: January 7, 9, 10 on 1..10 with the top two boxes (9, 10) → 2 of 3; February 3 → 0 of 1.
        assert list(out["n"]) == [3, 1] and list(out["satisfied"]) == [2, 0]
        assert out["score"].iloc[0] == pytest.approx(200 / 3)
        import pickle
        assert pickle.loads(pickle.dumps(ds)).csat_scale == 10
    assert ch.generate(n_accounts=5, days=60, seed=1).csat_scale == 5


def test_window_without_as_of_ends_at_the_end_of_the_answers():
    # DESIGN §2: the default T is the midnight after the latest answer, on both routes.
    ds = ch.generate(n_accounts=120, days=200, seed=5)
    df = ds.table("surveys")
    nps = df[df.kind == "nps"]
    end = df.timestamp.max().normalize() + pd.Timedelta(days=1)  # the table's end, of every kind
    window = nps[(nps.timestamp >= end - pd.Timedelta(days=30)) & (nps.timestamp < end)]
    expected = 100.0 * ((window.score >= 9).mean() - (window.score <= 6).mean())
    for data in (ds, df):
        got = ch.feedback_summary(data, "nps", window_days=30)
        assert got.n.iloc[0] == len(window)
        assert got.score.iloc[0] == pytest.approx(expected, abs=1e-12)
        pd.testing.assert_frame_equal(got, ch.feedback_summary(data, "nps", window_days=30, as_of=end))
