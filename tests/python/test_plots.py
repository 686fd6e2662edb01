"""The plots (issue 16, item 5): what each one draws, read back from its matplotlib artists and checked
against numbers computed here independently (numpy on the raw durations, pandas on the summaries), each
rendered to a PNG; and each bad input its own test."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.image as mimage  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import custhealth as ch  # noqa: E402
from conftest import peer  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_renders(ax) -> None:
    """The figure saves to a PNG that decodes to a non-empty image of more than one colour."""
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", bbox_inches="tight")
    assert buffer.getbuffer().nbytes > 0
    buffer.seek(0)
    image = mimage.imread(buffer, format="png")
    assert image.size > 0 and image.shape[0] > 10 and image.shape[1] > 10
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 1


def texts(labels) -> list[str]:
    return [t.get_text() for t in labels]


@pytest.fixture(scope="module")
def ds() -> ch.Dataset:
    return ch.generate(n_accounts=300, days=600, seed=16)


# ---- cohort retention --------------------------------------------------------------------------------

def daily_usage(days: int = 420, accounts: int = 900, seed: int = 5) -> pd.DataFrame:
    """Accounts joining on every day of `days`, each active on a few random later days."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    first = np.sort(rng.integers(0, days, accounts))
    joining = min(days, accounts)
    first[:joining] = np.arange(joining)  # with enough accounts, one joins on each day: `days` cohorts
    rows = []
    for a, f in enumerate(first):
        for d in {int(f), *rng.integers(f, days, 5).tolist()}:
            rows.append((f"a{a:04d}", start + pd.Timedelta(days=d, hours=int(rng.integers(0, 24)))))
    return pd.DataFrame(rows, columns=["account_id", "timestamp"]).assign(event="login")


def test_daily_cohorts_over_400_days_have_thinned_labels_that_are_dates_of_the_index():
    r = ch.cohort_retention(daily_usage(), period="D")
    assert r.rates.shape[0] >= 400 and r.rates.shape[1] >= 400
    ax = r.plot()
    ys, xs = ax.get_yticks(), ax.get_xticks()
    assert 8 <= len(ys) <= 20 and 8 <= len(xs) <= 20
    # Each label names the cohort (a real date of the index) or the offset at its position.
    assert texts(ax.get_yticklabels()) == [r.rates.index[int(p)].strftime("%Y-%m-%d") for p in ys]
    assert texts(ax.get_xticklabels()) == [str(r.rates.columns[int(p)]) for p in xs]
    assert all(p == int(p) for p in ys) and ys[0] == 0 and np.all(np.diff(ys) == ys[1] - ys[0])
    # The image is the rate matrix, unobserved cells masked; no cell text on a matrix this size; a colour bar.
    shown = ax.images[0].get_array()
    rates = r.rates.to_numpy(dtype=float)
    np.testing.assert_array_equal(np.ma.getmaskarray(shown), np.isnan(rates))
    np.testing.assert_array_equal(shown.filled(np.nan), rates)
    assert len(ax.texts) == 0 and len(ax.figure.axes) == 2 and ax.figure.axes[1].get_ylabel() == "retention"
    width, height = ax.figure.get_size_inches()
    assert width <= 12 and height <= 9
    assert_renders(ax)


def test_weekly_cohorts_respect_max_ticks():
    r = ch.cohort_retention(daily_usage(days=400, accounts=500, seed=6), period="W")
    ax = r.plot(max_ticks=12)
    assert len(r.rates) > 12
    assert len(ax.get_yticks()) <= 12 and len(ax.get_xticks()) <= 12
    assert set(texts(ax.get_yticklabels())) <= {d.strftime("%Y-%m-%d") for d in r.rates.index}
    assert_renders(ax)


def test_small_matrix_labels_every_cohort_and_writes_each_observed_cell():
    usage = daily_usage(days=200, accounts=300, seed=7)
    r = ch.cohort_retention(usage, period="M")
    ax = r.plot()
    assert texts(ax.get_yticklabels()) == [d.strftime("%Y-%m") for d in r.rates.index]
    # Independently: every observed cell's percentage, from pandas.
    cells = r.rates.stack()  # drops the unobserved (NaN) cells
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{100 * v:.0f}" for v in cells)
    assert len(ch.cohort_retention(usage, period="M").plot(annotate=False).texts) == 0
    assert_renders(ax)


def test_revenue_cohorts_scale_the_colours_to_net_retention_above_100_percent(ds):
    r = ch.cohort_retention(ds, value="mrr")
    ax = r.plot()
    top = np.nanmax(r.rates.to_numpy(dtype=float))
    assert ax.get_title() == "Revenue retention (on)"
    assert ax.images[0].get_clim() == pytest.approx((0.0, max(1.0, top)))
    assert_renders(ax)


def test_cohort_plot_refuses_an_empty_matrix():
    usage = daily_usage(days=60, accounts=50, seed=8)
    r = ch.cohort_retention(usage, as_of="2022-01-01")
    assert r.rates.shape == (0, 0)
    with pytest.raises(ch.InvalidInputError, match="nothing to plot"):
        r.plot()


@pytest.mark.parametrize("options, error, match", [
    ({"max_ticks": 1}, ch.InvalidInputError, "max_ticks"),
    ({"max_ticks": 7.5}, ch.InvalidInputError, "max_ticks"),
    ({"annotate": "yes"}, ch.InvalidInputError, "annotate"),
    ({"colour": "red"}, TypeError, "colour"),
    ({"cmap": "no_such_map"}, ValueError, "no_such_map"),
])
def test_cohort_plot_refuses_unknown_or_bad_options(options, error, match):
    r = ch.cohort_retention(daily_usage(days=60, accounts=50, seed=8), period="W")
    with pytest.raises(error, match=match):
        r.plot(**options)


# ---- feedback summaries ------------------------------------------------------------------------------

def band_at(collection, x: float) -> tuple[float, float]:
    """The lowest and highest vertex of a fill_between band at x."""
    v = np.concatenate([p.vertices for p in collection.get_paths()])
    at = v[np.isclose(v[:, 0], x)]
    return float(at[:, 1].min()), float(at[:, 1].max())


def test_feedback_plot_draws_one_line_and_band_per_group(ds):
    summary = ch.feedback_summary(ds, kind="nps", by=["segment"], period="M")
    ax = ch.plot_feedback(summary)
    groups = {str(k): g.sort_values("period") for k, g in summary.groupby("segment", observed=True)}
    assert [line.get_label() for line in ax.get_lines()] == list(groups)
    assert texts(ax.get_legend().get_texts()) == list(groups) and ax.get_ylabel() == "NPS"
    assert len(ax.collections) == len(groups)
    for line, band, (name, g) in zip(ax.get_lines(), ax.collections, groups.items()):
        x = mdates.date2num(g["period"].to_numpy())
        np.testing.assert_allclose(mdates.date2num(line.get_xdata()), x)
        np.testing.assert_allclose(line.get_ydata(), g["score"].to_numpy())
        for xi, low, high in zip(x, g["ci_low"], g["ci_high"]):
            if np.isfinite(low):
                assert band_at(band, xi) == pytest.approx((low, high))
    assert_renders(ax)


def test_feedback_plot_of_an_independent_pandas_summary_without_groups(ds):
    # The NPS per month from the raw answers with pandas, in the summary's columns: the plot reads any such frame.
    surveys = ds.table("surveys")
    nps = surveys[surveys["kind"] == "nps"].assign(period=lambda d: d["timestamp"].dt.to_period("M").dt.start_time)
    by_month = nps.groupby("period")["score"]
    p, d, n = by_month.apply(lambda s: (s >= 9).mean()), by_month.apply(lambda s: (s <= 6).mean()), by_month.size()
    score = 100 * (p - d)
    se = 100 * np.sqrt(((p + d) - (p - d) ** 2) / n)
    frame = pd.DataFrame({"period": score.index, "n": n.to_numpy(), "score": score.to_numpy(), "se": se.to_numpy(),
                          "ci_low": (score - 1.96 * se).to_numpy(), "ci_high": (score + 1.96 * se).to_numpy(),
                          "promoters": 0, "passives": 0, "detractors": 0})
    ours = ch.feedback_summary(ds, kind="nps", period="M")
    np.testing.assert_allclose(ours["score"], frame["score"])
    ax = ch.plot_feedback(frame, ci=False)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), score.to_numpy())
    assert len(ax.collections) == 0 and ax.get_legend() is None
    assert_renders(ax)


@pytest.mark.parametrize("kind, label", [("csat", "CSAT (% satisfied)"), ("ces", "CES (mean effort)")])
def test_feedback_plot_reads_the_kind_from_the_columns(ds, kind, label):
    summary = ch.feedback_summary(ds, kind=kind, by="plan", period="Q")
    ax = ch.plot_feedback(summary)
    assert ax.get_ylabel() == label
    assert len(ax.get_lines()) == summary["plan"].nunique()
    assert_renders(ax)


def test_feedback_plot_names_missing_keys(ds):
    frame = ds.table("surveys").merge(ds.table("accounts")[["account_id", "segment"]], on="account_id")
    frame = frame.assign(segment=frame["segment"].astype(object).where(frame.index % 7 != 0, None))
    summary = ch.feedback_summary(frame, kind="nps", by="segment", period="Q")
    assert summary["segment"].isna().any()
    ax = ch.plot_feedback(summary)
    assert "(missing)" in [line.get_label() for line in ax.get_lines()]


def test_feedback_plot_refuses_an_empty_summary(ds):
    empty = ch.feedback_summary(ds, kind="nps", as_of="2000-01-01")
    assert empty.empty
    with pytest.raises(ch.InvalidInputError, match="empty"):
        ch.plot_feedback(empty)


@pytest.mark.parametrize("make, error, match", [
    (lambda ds: ch.feedback_summary(ds, kind="nps", period=None), ch.InvalidInputError, "period=None"),
    (lambda ds: ch.feedback_summary(ds, kind="nps", by="account_id", period="M"), ch.InvalidInputError, "max_groups"),
    (lambda ds: ch.sla_summary(ds, period="M"), ch.InvalidInputError, "not a feedback_summary"),
    (lambda ds: ch.feedback_summary(ds, kind="nps")[["period", "n", "score", "se", "ci_low", "ci_high"]],
     ch.InvalidInputError, "kind"),
    (lambda ds: ch.feedback_summary(ds, kind="nps")["score"], TypeError, "DataFrame"),
])
def test_feedback_plot_refuses_what_it_cannot_plot(ds, make, error, match):
    with pytest.raises(error, match=match):
        ch.plot_feedback(make(ds))


@pytest.mark.parametrize("options, error, match", [
    ({"colour": "red"}, TypeError, "colour"),
    ({"max_groups": 0}, ch.InvalidInputError, "max_groups"),
])
def test_feedback_plot_refuses_unknown_or_bad_options(ds, options, error, match):
    with pytest.raises(error, match=match):
        ch.plot_feedback(ch.feedback_summary(ds, kind="nps", period="M"), **options)


# ---- Kaplan–Meier ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    """Whole-day durations 1..30 (ticks 0, 5, …, 30 fall on exit times) with ~40 % censored."""
    rng = np.random.default_rng(160)
    return rng.integers(1, 31, 240).astype(float), rng.random(240) < 0.6


def product_limit(durations: np.ndarray, events: np.ndarray, t: float) -> float:
    """S(t) by hand: Π over event times u ≤ t of (1 − d_u / n_u), n_u = #(durations ≥ u)."""
    s = 1.0
    for u in np.unique(durations[events & (durations <= t)]):
        s *= 1.0 - np.sum(events & (durations == u)) / np.sum(durations >= u)
    return s


def test_km_censor_marks_one_per_distinct_censoring_time_on_the_curve(sample):
    d, e = sample
    km = ch.KaplanMeier(label="all").fit(d, e)
    fig, ax = plt.subplots()
    assert km.plot(ax=ax, show_censors=True) is ax
    (marks,) = [line for line in ax.get_lines() if line.get_gid() == "censors"]
    censored_at = np.unique(d[~e])
    assert len(marks.get_xdata()) == len(censored_at)
    np.testing.assert_array_equal(marks.get_xdata(), censored_at)
    np.testing.assert_allclose(marks.get_ydata(), [product_limit(d, e, t) for t in censored_at])
    assert marks.get_marker() == "+" and marks.get_linestyle() == "None"
    assert marks.get_color() == ax.get_lines()[0].get_color()
    assert texts(ax.get_legend().get_texts()) == ["all"]  # the marks stay out of the legend
    assert not [line for line in km.plot(ax=plt.figure().gca()).get_lines() if line.get_gid() == "censors"]
    assert_renders(ax)


def test_km_censor_styles_override_the_marker(sample):
    d, e = sample
    ax = ch.KaplanMeier().fit(d, e).plot(show_censors=True, censor_styles={"marker": "|", "ms": 6})
    (marks,) = [line for line in ax.get_lines() if line.get_gid() == "censors"]
    assert marks.get_marker() == "|" and marks.get_markersize() == 6


def at_risk_table(ax) -> tuple[np.ndarray, list[list[float]], list[str]]:
    columns = [t for t in ax.texts if t.get_gid() == "at_risk_counts"]
    (names,) = [t for t in ax.texts if t.get_gid() == "at_risk_labels"]
    return (np.array([c.xy[0] for c in columns]), [[float(v) for v in c.get_text().split("\n")] for c in columns],
            names.get_text().split("\n"))


def test_km_at_risk_counts_under_the_axis_equal_counts_from_the_durations(sample):
    d, e = sample
    km = ch.KaplanMeier().fit(d, e)
    fig, ax = plt.subplots()
    km.plot(ax=ax, at_risk_counts=True)
    x, columns, names = at_risk_table(ax)
    np.testing.assert_array_equal(x, ax.get_xticks())
    assert names == ["At risk", "Censored", "Events"]
    assert len(x) >= 4 and x.min() >= 0 and x.max() <= ax.get_xlim()[1]
    table = km.event_table
    for t, (at_risk, censored, events) in zip(x, columns):
        assert at_risk == np.sum(d >= t)
        assert censored == np.sum(~e & (d <= t)) and events == np.sum(e & (d <= t))
        if t in table.index:  # every tick here but 0 is an exit time: the event table's own count
            assert at_risk == table.loc[t, "at_risk"]
    assert sum(t in table.index for t in x) >= len(x) - 1
    assert_renders(ax)


def test_km_at_risk_counts_equal_lifelines_counted_from_the_start_of_the_period(sample):
    """lifelines' table with at_risk_count_from_start_of_period=True reads the event table's at_risk at the
    last exit time ≤ t: at ticks that are exit times, the same count as ours (its default counts after t)."""
    lifelines = peer("lifelines")
    from lifelines.plotting import add_at_risk_counts  # noqa: PLC0415

    d, e = sample
    fig, ax = plt.subplots()
    ch.KaplanMeier().fit(d, e).plot(ax=ax, at_risk_counts=True)
    x, ours, _ = at_risk_table(ax)
    theirs_fig, theirs_ax = plt.subplots()
    lifelines.KaplanMeierFitter().fit(d, e).plot_survival_function(ax=theirs_ax)
    add_at_risk_counts(lifelines.KaplanMeierFitter().fit(d, e), ax=theirs_ax, xticks=x,
                       at_risk_count_from_start_of_period=True)
    (table,) = theirs_fig.axes[1:]
    theirs = [[float(line.split()[-1]) for line in label.split("\n") if line.split() and
               line.split()[-1].isdigit()] for label in texts(table.get_xticklabels())]
    np.testing.assert_array_equal(table.get_xticks(), x)
    assert ours == theirs


def test_at_risk_counts_of_several_curves_with_late_entry_and_weights():
    rng = np.random.default_rng(161)
    d = rng.integers(2, 40, 150).astype(float)
    e = rng.random(150) < 0.7
    entry = np.where(rng.random(150) < 0.3, rng.integers(0, 2, 150), 0).astype(float)
    w = rng.integers(1, 4, 150).astype(float)
    a = ch.KaplanMeier(label="entry").fit(d, e, entry=entry)
    b = ch.KaplanMeier(label="weighted").fit(d, e, weights=w)
    ax = b.plot(ax=a.plot(ax=plt.figure().gca()), at_risk_counts=True)
    assert ch.add_at_risk_counts(a, b, ax=ax, xticks=[0, 1, 10, 20, 30], rows_to_show=["At risk", "Events"]) is ax
    x, columns, names = at_risk_table(ax)
    np.testing.assert_array_equal(x, [0, 1, 10, 20, 30])
    np.testing.assert_array_equal(ax.get_xticks(), x)
    assert names == ["entry: At risk", "entry: Events", "weighted: At risk", "weighted: Events"]
    assert len(ax.texts) == len(x) + 1  # b.plot's own table, drawn first, was replaced
    for t, (a_risk, a_events, b_risk, b_events) in zip(x, columns):
        # At risk at t: entered by t, exiting at t or later (the event table's convention, entries at t included).
        assert a_risk == np.sum((entry <= t) & (d >= t)) and a_events == np.sum(e & (d <= t))
        assert b_risk == np.sum(w * (d >= t)) and b_events == np.sum(w * (e & (d <= t)))
    assert_renders(ax)


def test_km_band_vertices_are_the_confidence_interval(sample):
    d, e = sample
    km = ch.KaplanMeier().fit(d, e)
    ax = km.plot(ax=plt.figure().gca())
    (band,) = ax.collections
    ci = km.confidence_interval_
    for t, low, high in zip(ci.index, ci.iloc[:, 0], ci.iloc[:, 1]):
        lows_highs = np.concatenate([p.vertices for p in band.get_paths()])
        at = lows_highs[np.isclose(lows_highs[:, 0], t)]
        assert np.any(np.isclose(at[:, 1], low)) and np.any(np.isclose(at[:, 1], high))


def test_km_ci_is_the_alias_of_ci_show(sample):
    d, e = sample
    km = ch.KaplanMeier().fit(d, e)
    assert len(km.plot(ax=plt.figure().gca(), ci=False).collections) == 0
    assert len(km.plot(ax=plt.figure().gca(), ci_show=False).collections) == 0
    assert len(km.plot(plt.figure().gca(), False).collections) == 0  # the second positional argument, as before
    assert len(km.plot(ax=plt.figure().gca(), ci=True).collections) == 1
    with pytest.raises(TypeError, match="ci_show"):
        km.plot(ax=plt.figure().gca(), ci_show=False, ci=True)


def test_km_plot_of_an_unfitted_model_says_so():
    with pytest.raises(AttributeError, match="not fitted"):
        ch.KaplanMeier().plot()
    with pytest.raises(AttributeError, match="not fitted"):
        ch.add_at_risk_counts(ch.KaplanMeier())


def test_km_plot_of_an_empty_sample_draws_an_empty_curve_and_zero_counts():
    km = ch.KaplanMeier().fit(np.array([]), np.array([]))
    ax = km.plot(ax=plt.figure().gca(), show_censors=True, at_risk_counts=True)
    assert len(ax.get_lines()[0].get_xdata()) == 0
    _, columns, _ = at_risk_table(ax)
    assert all(c == [0.0, 0.0, 0.0] for c in columns)


@pytest.mark.parametrize("call, error, match", [
    (lambda km, ax: km.plot(ax=ax, colour="red"), TypeError, "colour"),
    (lambda km, ax: km.plot(ax=ax, show_censors=True, censor_styles={"bogus": 1}), TypeError, "bogus"),
    (lambda km, ax: ch.add_at_risk_counts(ax=ax), ch.InvalidInputError, "no fitters"),
    (lambda km, ax: ch.add_at_risk_counts(km, ax=ax, rows_to_show=["Deaths"]), ch.InvalidInputError, "rows_to_show"),
    (lambda km, ax: ch.add_at_risk_counts(km, ax=ax, xticks=[0, 500]), ch.InvalidInputError, "500"),
    (lambda km, ax: ch.add_at_risk_counts(km, "km", ax=ax), TypeError, "KaplanMeier"),
])
def test_km_plot_refuses_unknown_options(sample, call, error, match):
    km = ch.KaplanMeier().fit(*sample)
    ax = km.plot(ax=plt.figure().gca())
    with pytest.raises(error, match=match):
        call(km, ax)


# ---- scorecard ---------------------------------------------------------------------------------------

DATES = pd.date_range("2024-01-01", periods=6, freq="MS")


def test_band_distribution_over_time_is_the_share_of_scored_accounts_per_band(ds):
    card = ch.Scorecard.load("saas_health_v1")
    ax = card.plot_bands(ds, as_of=list(DATES))
    bars = {name: [] for name in card.bands}
    for container in ax.containers:
        bars[container.get_label()] = [p.get_height() for p in container.patches]
    for i, t in enumerate(DATES):
        scores = card.score(ds, as_of=t)
        scored = scores["score"].notna()
        # Independently: the bands from the scores and the card's bounds, shares with pandas.
        share = scores.loc[scored, "band"].astype(str).value_counts(normalize=True)
        for name in card.bands:
            assert bars[name][i] == pytest.approx(share.get(name, 0.0))
        assert texts(ax.get_xticklabels())[i] == f"{t:%Y-%m-%d}\nn={scored.sum()}"
    # The legend reads top down as the stack does.
    assert texts(ax.get_legend().get_texts()) == card.bands[::-1]
    assert_renders(ax)


def test_band_plot_takes_one_date_and_thins_many(ds):
    card = ch.Scorecard.load("saas_health_v1")
    ax = card.plot_bands(ds, as_of="2024-06-01")
    assert len(ax.get_xticks()) == 1 and sum(p.get_height() for p in ax.patches) == pytest.approx(1.0)
    many = pd.date_range("2023-06-01", periods=30, freq="W-MON")
    ax = card.plot_bands(ds, as_of=many, max_ticks=16)
    assert len(ax.patches) == 30 * len(card.bands) and len(ax.get_xticks()) == 15  # every second date
    # Slanted, one line each: "date (n=scored)", dates of the bars.
    assert all(lbl.split(" (n=")[0] in {f"{t:%Y-%m-%d}" for t in many} for lbl in texts(ax.get_xticklabels()))
    assert all(lbl.get_rotation() == 45 for lbl in ax.get_xticklabels())


@pytest.mark.parametrize("as_of, match", [([], "empty"), (["2024-01-01", "2024-01-01"], "twice")])
def test_band_plot_refuses_bad_dates(ds, as_of, match):
    with pytest.raises(ch.InvalidInputError, match=match):
        ch.Scorecard.load("saas_health_v1").plot_bands(ds, as_of=as_of)


def test_band_plot_refuses_unknown_options(ds):
    card = ch.Scorecard.load("saas_health_v1")
    with pytest.raises(TypeError, match="colour"):
        card.plot_bands(ds, as_of=["2024-01-01"], colour="red")
    with pytest.raises(ch.InvalidInputError, match="max_ticks"):
        card.plot_bands(ds, as_of=["2024-01-01"], max_ticks=0)


def steps(ax) -> list[tuple[float, float]]:
    """Each waterfall bar as (bottom, top)."""
    return [(p.get_y(), p.get_y() + p.get_height()) for p in ax.patches]


def test_waterfall_walks_from_100_down_the_lost_points_to_the_score(ds):
    card = ch.Scorecard.load("saas_health_v1")
    s = card.score(ds, as_of="2024-06-01")
    account = s["score"].idxmin()
    ax = card.plot_waterfall(account)
    bars = steps(ax)
    lost = s.loc[account, [c for c in s.columns if c.startswith("lost:")]]
    lost = lost[lost > 0].sort_values(ascending=False, kind="stable")
    assert bars[0] == (0.0, 100.0) and bars[-1] == pytest.approx((0.0, s.loc[account, "score"]))
    level = 100.0
    for (low, high), points in zip(bars[1:-1], lost):
        assert high == pytest.approx(level) and high - low == pytest.approx(points)
        level -= points
    assert level == pytest.approx(s.loc[account, "score"])
    assert texts(ax.get_xticklabels())[1:-1] == [c[len("lost:"):] for c in lost.index]
    assert_renders(ax)


def test_waterfall_of_an_overridden_account_shows_the_override_step(ds):
    card_json = ch.Scorecard.load("saas_health_v1").to_dict()
    target = ds.account_ids[5]
    card_json["overrides"] = [{"account_id": target, "score": 95, "until": "2030-01-01", "reason": "exec sponsor"}]
    card = ch.Scorecard.from_dict(card_json)
    s = card.score(ds, as_of="2024-06-01")
    computed = s.loc[target, "computed_score"]
    assert np.isfinite(computed) and s.loc[target, "score"] == 95
    ax = card.plot_waterfall(target)
    labels = texts(ax.get_xticklabels())
    assert labels[-2] == "override: exec sponsor"
    assert steps(ax)[-2] == pytest.approx((min(computed, 95.0), max(computed, 95.0)))
    assert steps(ax)[-1] == pytest.approx((0.0, 95.0))


def test_waterfall_refuses_before_scoring_and_an_unscored_or_unknown_account(ds):
    card = ch.Scorecard.load("saas_health_v1")
    with pytest.raises(ch.InvalidInputError, match="plot_waterfall: call score"):
        card.plot_waterfall(ds.account_ids[0])
    s = card.score(ds, as_of="2023-03-01")
    unscored = s.index[s["score"].isna()]
    assert len(unscored)
    with pytest.raises(ch.InvalidInputError, match="no score"):
        card.plot_waterfall(unscored[0])
    with pytest.raises(ch.InvalidInputError, match="no account"):
        card.plot_waterfall("no-such-account")
    with pytest.raises(TypeError, match="colour"):
        card.plot_waterfall(s["score"].idxmin(), colour="red")
