"""The `custhealth` command line: the bundled sample, generate → summary/report round trip, the
lenient mode and the errors a user sees."""

from __future__ import annotations

import os
import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest

CLI = os.environ.get("CUSTHEALTH_CLI") or str(pathlib.Path(os.environ.get("CUSTHEALTH_BUILD_DIR", "build")) / "custhealth")


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=check, timeout=300)


@pytest.fixture(scope="module", autouse=True)
def needs_cli():
    if not pathlib.Path(CLI).exists():
        pytest.skip(f"CLI not built at {CLI}")


def test_report_runs_on_the_bundled_sample():
    out = run("report").stdout
    assert "Customer health report, as of" in out
    assert "Monthly activity" in out


def test_report_never_adds_amounts_of_different_currencies(root):
    # The bundled sample's payments are in five currencies: the monthly volume is '-' (no sum of CAD
    # and EUR), and a table gives each month's volume per currency — pandas on the same file.
    out = run("report").stdout
    section = out[out.index("Payments quality by month"):]
    month_row = next(line for line in section.splitlines() if line.strip().startswith("2024-01"))
    assert month_row.split()[2] == "-"
    block = section[section.index("Payment volume by currency"):]
    lines = [line.split() for line in block.splitlines()[1:] if line.strip()]
    header = lines[0]
    january = dict(zip(header[1:], lines[[r[0] for r in lines].index("2024-01")][1:]))
    pay = pd.read_csv(root / "examples" / "data" / "payments.csv", parse_dates=["timestamp"])
    paid = pay[(pay["type"] == "payment") & (pay["timestamp"].dt.strftime("%Y-%m") == "2024-01")]
    want = paid.groupby("currency")["amount"].sum()
    assert set(january) == set(want.index)
    for currency, total in want.items():
        assert january[currency] == f"{total:.0f}", currency


def test_report_adoption_section_agrees_with_the_python_score(tmp_path):
    # The section's per-segment mean scores and least-adopted account are those of ch.adoption on the
    # same files (one engine, two routes: this pins the CLI's wiring of the model and the as-of).
    import custhealth as ch

    run("generate", "--accounts", "120", "--days", "300", "--seed", "5", "--out", str(tmp_path))
    out = run("report", "--data", str(tmp_path), "--as-of", "2024-11-01").stdout
    section = out[out.index("Adoption (adoption_v1)"):out.index("Monthly activity")]
    ds = ch.read_csv(**{t: str(tmp_path / f"{t}.csv") for t in ("accounts", "usage", "surveys", "tickets", "mrr",
                                                                  "payments")})
    a = ch.adoption(ds, as_of="2024-11-01")
    segments = ds.table("accounts").set_index("account_id").segment.reindex(a.index).astype(object)
    means = a.score.groupby(segments).mean()
    for segment, mean in means.items():
        line = next(l for l in section.splitlines() if l.strip().startswith(str(segment)))
        assert line.split()[2] == f"{mean:.1f}", (segment, line)
    least = a.score.dropna().sort_values(kind="stable").index[0]
    assert f"{least} " in section.split("Least adopted")[1].splitlines()[3]


def test_generate_then_summary_counts_every_table(tmp_path):
    run("generate", "--accounts", "40", "--days", "200", "--seed", "3", "--out", str(tmp_path))
    for table in ("accounts", "usage", "surveys", "tickets", "mrr", "payments", "truth"):
        assert (tmp_path / f"{table}.csv").exists(), table
    summary = run("summary", "--data", str(tmp_path)).stdout
    usage_rows = len(pd.read_csv(tmp_path / "usage.csv"))
    line = next(l for l in summary.splitlines() if l.strip().startswith("usage"))
    assert line.split()[-4:] == [str(usage_rows), str(usage_rows), "0", "0"]


def test_single_table_flags_and_markdown(tmp_path):
    run("generate", "--accounts", "20", "--days", "100", "--out", str(tmp_path))
    out = run("report", "--usage", str(tmp_path / "usage.csv"), "--format", "markdown", "--as-of", "2024-12-01").stdout
    assert out.startswith("# Customer health report, as of 2024-12-01")
    assert "| month |" in out


def test_bad_row_is_an_error_naming_file_line_and_column(tmp_path):
    bad = tmp_path / "usage.csv"
    bad.write_text("account_id,timestamp,event\na,2024-01-01,login\na,2024-13-01,login\n")
    result = run("summary", "--usage", str(bad), check=False)
    assert result.returncode == 1
    assert f"{bad}:3: column 'timestamp': cannot parse as a date or time: \"2024-13-01\"" in result.stderr


def test_lenient_mode_reports_rejections(tmp_path):
    bad = tmp_path / "usage.csv"
    bad.write_text("account_id,timestamp,event\na,2024-01-01,login\na,2024-13-01,login\n")
    out = run("summary", "--usage", str(bad), "--lenient").stdout
    assert "Rejected rows by reason" in out
    assert "column 'timestamp': cannot parse as a date or time" in out


def test_usage_errors_exit_non_zero():
    assert run("report", "--usage", "/nonexistent.csv", check=False).returncode != 0
    assert run(check=False).returncode != 0


def test_bundled_sample_is_the_generators_output(tmp_path, root):
    """examples/data is `make sample`'s output; regenerate it when the generator changes."""
    run("generate", "--accounts", "200", "--days", "730", "--seed", "7", "--out", str(tmp_path))
    shipped = sorted(p.name for p in (root / "examples" / "data").glob("*.csv"))
    assert shipped == sorted(p.name for p in tmp_path.glob("*.csv"))
    for name in shipped:
        assert (root / "examples" / "data" / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_version_flag():
    import custhealth
    assert run("--version").stdout.strip() == f"custhealth {custhealth.__version__}"


def test_summary_lists_only_the_tables_given(tmp_path):
    run("generate", "--accounts", "20", "--days", "100", "--out", str(tmp_path))
    summary = run("summary", "--usage", str(tmp_path / "usage.csv")).stdout
    ingest = summary.split("Portfolio")[0]
    assert "usage" in ingest
    for table in ("surveys", "tickets", "mrr", "payments"):
        assert table not in ingest, table


def test_as_of_before_all_data_warns(tmp_path):
    run("generate", "--accounts", "20", "--days", "100", "--out", str(tmp_path))
    result = run("report", "--data", str(tmp_path), "--as-of", "2000-01-01")
    assert "warning: --as-of 2000-01-01 is not after the first data" in result.stderr
    assert "warning" not in run("report", "--data", str(tmp_path)).stderr


def test_cli_reads_column_names_from_json(tmp_path):
    pd.DataFrame({"customer": ["a", "b"], "event_time": ["2024-01-01", "2024-01-02"], "event": ["x", "y"]}).to_csv(
        tmp_path / "usage.csv", index=False)
    names = tmp_path / "columns.json"
    names.write_text('{"*": {"account_id": "customer"}, "usage": {"timestamp": "event_time"}}')
    out = run("summary", "--usage", str(tmp_path / "usage.csv"), "--columns", str(names), check=False)
    assert out.returncode == 0, out.stderr
    assert "usage" in out.stdout and " 2 " in out.stdout
    names.write_text('{"usage": {"timestamp": "event_time", "stamp": "x"}}')
    out = run("summary", "--usage", str(tmp_path / "usage.csv"), "--columns", str(names), check=False)
    assert out.returncode != 0
    assert "columns.json: $.usage.stamp: unknown column: expected one of account_id, timestamp, event, value, user_id" \
        in out.stderr


def test_report_opens_with_the_health_section_and_agrees_with_the_python_card(tmp_path):
    # The JSON report's Health section: band counts by segment, the at-risk accounts (lowest first)
    # with their two biggest reasons, renewals and the alerts of the last 7 days, against ch.Scorecard
    # on the same files.
    import json

    import pandas as pd

    import custhealth as ch

    run("generate", "--accounts", "300", "--days", "400", "--seed", "6", "--out", str(tmp_path))
    doc = json.loads(run("report", "--data", str(tmp_path), "--as-of", "2024-11-01", "--format", "json").stdout)
    assert doc["as_of"] == "2024-11-01"
    health = doc["sections"][0]
    assert health["title"] == "Health (saas_health_v1)"
    by_segment, by_owner, at_risk = (pd.DataFrame(t["rows"], columns=t["columns"]) for t in health["tables"][:3])
    ds = ch.read_csv(directory=tmp_path)
    card = ch.Scorecard.load("saas_health_v1")
    s = card.score(ds, as_of="2024-11-01")
    segments = ds.table("accounts").set_index("account_id")["segment"].reindex(s.index).astype(object)
    counts = s.dropna(subset=["score"]).groupby([segments[s["score"].notna()], "band"], observed=False).size()
    for _, row in by_segment.iterrows():
        for band in card.bands:
            assert int(row[band]) == counts.get((row["segment"], band), 0)
    red = s[s["band"] == "red"].sort_values("score", kind="stable")
    assert at_risk["account"].tolist() == red.index[:10].astype(str).tolist()
    first = red.iloc[0]
    reasons = ", ".join(f"{m} ({p:.1f})" for m, p in first["top_factors"][:2])
    assert at_risk.iloc[0]["biggest reasons (points lost)"] == reasons
    assert any(n.startswith("Alerts started in the last 7 days") for n in health["notes"])
    week = card.alerts(ds, as_of=list(pd.date_range("2024-10-25", "2024-11-01", freq="D")))
    started = week[week["as_of"] > pd.Timestamp("2024-10-25")]
    assert f"Alerts started in the last 7 days: {len(started)}" in " ".join(health["notes"])


# ---- custhealth clv -------------------------------------------------------------------------------------------

def _clv_json(*args: str) -> dict:
    import json

    result = run("clv", *args, "--format", "json", check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _python_clv(ds, table: str, currency, freq: str, observation_end, model: str, horizon: float):
    """The same computation through the Python API: ch.rfm_summary, the model's fit and predictions, Gamma-Gamma
    on the repeat customers, expected value = expected purchases × expected spend."""
    import custhealth as ch

    rfm = ch.rfm_summary(ds, table=table, currency=currency, freq=freq, observation_end=observation_end)
    fitter = {"bg_nbd": ch.BetaGeo, "mbg_nbd": ch.ModifiedBetaGeo, "pareto_nbd": ch.ParetoNBD}[model]()
    fitter.fit(rfm["frequency"], rfm["recency"], rfm["T"])
    out = rfm.copy()
    out["p_alive"] = fitter.p_alive(rfm["frequency"], rfm["recency"], rfm["T"])
    out["expected_purchases"] = fitter.expected_purchases(horizon, rfm["frequency"], rfm["recency"], rfm["T"])
    gg = None
    if table == "payments":
        repeat = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
        gg = ch.GammaGamma().fit(repeat["frequency"], repeat["monetary_value"])
        out["expected_spend"] = gg.conditional_expected_average_profit(rfm["frequency"], rfm["monetary_value"])
        out["expected_value"] = out["expected_purchases"] * out["expected_spend"]
    else:
        out["expected_value"] = out["expected_purchases"]
    out.index = out.index.astype(str)
    return fitter, gg, out.sort_values("expected_value", ascending=False, kind="stable")


def _expect_same_fit(doc_fit: dict, fitter) -> None:
    assert doc_fit["status"] == "converged" and doc_fit["converged"]
    assert list(doc_fit["params"]) == list(fitter.params_.index)
    for name, value in fitter.params_.items():
        assert doc_fit["params"][name] == pytest.approx(value, rel=1e-9), name
        assert doc_fit["standard_errors"][name] == pytest.approx(fitter.standard_errors_[name], rel=1e-6), name
    assert doc_fit["log_likelihood"] == pytest.approx(fitter.log_likelihood_, rel=1e-9)
    assert (doc_fit["customers"], doc_fit["distinct_histories"]) == (fitter.weight_sum_, fitter.n_rows_)


def _expect_same_top(doc: dict, theirs: pd.DataFrame, columns: list[str]) -> None:
    top = pd.DataFrame(doc["top"]).set_index("account_id")
    assert top.index.tolist() == theirs.index[:len(top)].tolist()
    for col in columns:
        np.testing.assert_allclose(top[col].to_numpy(dtype=float), theirs[col].iloc[:len(top)].to_numpy(dtype=float),
                                   rtol=1e-9, err_msg=col)


def test_clv_payments_equal_the_python_api_and_lifetimes(root):
    # The bundled sample (no data arguments), its US-dollar payments, weekly, as of the end of the payments
    # table's data (the day of its last row, whatever the type).
    import custhealth as ch

    doc = _clv_json("--currency", "USD")
    ds = ch.read_csv(directory=root / "examples" / "data")
    last = ds.table("payments")["timestamp"].max()
    assert doc["as_of"] == (last.floor("D") + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    assert (doc["table"], doc["currency"], doc["period"], doc["horizon"]) == ("payments", "USD", "W", 13)
    fitter, gg, theirs = _python_clv(ds, "payments", "USD", "W", last, "bg_nbd", 13)
    assert doc["customers"] == len(theirs) and doc["repeat_customers"] == int((theirs["frequency"] > 0).sum())
    _expect_same_fit(doc["fit"], fitter)
    _expect_same_fit(doc["spend"], gg)
    assert len(doc["top"]) == 10
    _expect_same_top(doc, theirs, ["frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases",
                                   "expected_spend", "expected_value"])
    alive = np.sort(theirs["p_alive"].to_numpy())
    assert [d["p_alive"] for d in doc["p_alive"]["deciles"]] == pytest.approx(np.quantile(alive, np.linspace(0, 1, 11)),
                                                                              rel=1e-9)
    counts = np.histogram(alive, bins=np.linspace(0, 1, 11))[0]
    assert [h["customers"] for h in doc["p_alive"]["histogram"]] == counts.tolist()
    assert doc["p_alive"]["mean"] == pytest.approx(alive.mean(), rel=1e-12)


def test_clv_rfm_columns_equal_lifetimes(root):
    # The RFM columns of the listed customers are lifetimes' summary of the same payments.
    import custhealth as ch

    from conftest import peer

    utils = peer("lifetimes.utils")
    doc = _clv_json("--currency", "USD", "--top", "40")
    ds = ch.read_csv(directory=root / "examples" / "data")
    last = ds.table("payments")["timestamp"].max()
    pay = ds.table("payments")
    usd = pay[(pay["type"] == "payment") & (pay["currency"] == "USD")].copy()
    usd["account_id"] = usd["account_id"].astype(str)
    lt = utils.summary_data_from_transaction_data(usd, "account_id", "timestamp", monetary_value_col="amount",
                                                  observation_period_end=last,
                                                  freq="W")
    top = pd.DataFrame(doc["top"]).set_index("account_id")
    np.testing.assert_allclose(top[["frequency", "recency", "T", "monetary_value"]].to_numpy(dtype=float),
                               lt.loc[top.index, ["frequency", "recency", "T", "monetary_value"]].to_numpy(dtype=float),
                               rtol=1e-12)


def test_clv_daily_mbg_nbd_as_of_a_date(root):
    # --as-of 2024-06-03 (a Monday): the rows before it, i.e. lifetimes' observation end 2024-06-02; daily
    # periods, so the default horizon is 90 days.
    import custhealth as ch

    doc = _clv_json("--data", str(root / "examples" / "data"), "--currency", "EUR", "--period", "D", "--model",
                    "mbg_nbd", "--as-of", "2024-06-03", "--top", "5")
    assert (doc["as_of"], doc["period"], doc["horizon"], doc["fit"]["model"]) == ("2024-06-03", "D", 90, "mbg_nbd")
    ds = ch.read_csv(directory=root / "examples" / "data")
    fitter, gg, theirs = _python_clv(ds, "payments", "EUR", "D", "2024-06-02 23:59:59", "mbg_nbd", 90)
    _expect_same_fit(doc["fit"], fitter)
    _expect_same_fit(doc["spend"], gg)
    assert len(doc["top"]) == 5
    _expect_same_top(doc, theirs, ["frequency", "recency", "T", "p_alive", "expected_value"])


def test_clv_usage_pareto_nbd_lists_expected_events(root):
    import custhealth as ch

    doc = _clv_json("--table", "usage", "--model", "pareto_nbd", "--horizon", "4", "--top", "3")
    assert doc["spend"] is None and doc["currency"] is None
    ds = ch.read_csv(directory=root / "examples" / "data")
    fitter, _, theirs = _python_clv(ds, "usage", None, "W", None, "pareto_nbd", 4)
    _expect_same_fit(doc["fit"], fitter)
    assert "monetary_value" not in doc["top"][0] and "expected_value" not in doc["top"][0]
    _expect_same_top(doc, theirs, ["frequency", "recency", "T", "p_alive", "expected_purchases"])


def test_clv_text_shows_the_fit_the_distribution_and_the_top_customers():
    assert run("clv", "--currency", "USD", "--format", "markdown").stdout.startswith(
        "# Customer lifetime value: successful payments in USD")
    out = run("clv", "--currency", "USD", "--top", "3").stdout
    for part in ("Customer lifetime value: successful payments in USD", "Transactions: BG/NBD (bg_nbd)",
                 "Spend: Gamma-Gamma", "status: converged", "P(alive) at", "0.9 - 1.0",
                 "Top 3 customers by expected value (expected payments x expected spend, undiscounted) over the next "
                 "13 weeks"):
        assert part in out, part
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma"):
        assert any(line.split()[:1] == [name] for line in out.splitlines()), name


def test_clv_fit_that_does_not_converge_says_so():
    result = run("clv", "--currency", "USD", "--max-iter", "1")
    assert "status: NOT CONVERGED (max_iter after 1 iterations" in result.stdout
    assert "warning: a fit did not converge" in result.stderr
    doc = _clv_json("--currency", "USD", "--max-iter", "1")
    assert doc["fit"]["status"] == "max_iter" and not doc["fit"]["converged"]


def test_clv_bad_input_is_a_clear_error(tmp_path):
    def fails(*args: str) -> str:
        result = run("clv", *args, check=False)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr and result.stderr.strip(), args
        return result.stderr

    assert "currencies: CAD (" in fails()  # the sample: several currencies, none chosen
    assert "choose one (--currency" in fails()
    assert "surveys not in" in fails("--table", "surveys")
    assert "gamma_gamma not in" in fails("--model", "gamma_gamma")
    assert "no successful payments in currency \"JPY\"" in fails("--currency", "JPY")
    empty = tmp_path / "payments.csv"
    empty.write_text("account_id,timestamp,type,amount,currency\n")
    assert "no successful payments (the payments table is empty)" in fails("--payments", str(empty))
    once = tmp_path / "once.csv"
    once.write_text("account_id,timestamp,type,amount,currency\na,2024-01-01,payment,5,USD\n"
                    "b,2024-01-02,payment,7,USD\na,2024-01-03,refund,5,USD\n")
    assert "every one of the 2 customers has frequency 0" in fails("--payments", str(once))
    assert "no successful payments before 2023-01-01" in fails("--payments", str(once), "--as-of", "2023-01-01")
    assert "cannot parse \"soon\"" in fails("--payments", str(once), "--as-of", "soon")


def test_threads_change_no_output_and_bad_counts_are_refused(tmp_path):
    # A portfolio above the sizes that stay on one thread (4,096 accounts a block).
    run("generate", "--accounts", "9000", "--days", "200", "--seed", "3", "--out", str(tmp_path))
    data = ["--data", str(tmp_path)]
    for command in (["report", "--format", "json"], ["score"], ["score", "--alerts"],
                    ["clv", "--format", "json", "--currency", "USD"]):
        one = run(*command, *data, "--threads", "1").stdout
        assert run(*command, *data, "--threads", "3").stdout == one, command
        env = {**os.environ, "CUSTHEALTH_NUM_THREADS": "2"}
        assert subprocess.run([CLI, *command, *data], capture_output=True, text=True, check=True, timeout=300,
                              env=env).stdout == one, command
    bad = run("score", *data, "--threads", "0", check=False)
    assert bad.returncode != 0 and "--threads" in bad.stderr
    env = {**os.environ, "CUSTHEALTH_NUM_THREADS": "lots"}
    refused = subprocess.run([CLI, "score", *data], capture_output=True, text=True, timeout=300, env=env)
    assert refused.returncode == 1
    assert 'CUSTHEALTH_NUM_THREADS must be a whole number from 1 to 4096, got "lots"' in refused.stderr
