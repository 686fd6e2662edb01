"""The `custhealth` command line: the bundled sample, generate → summary/report round trip, the
lenient mode and the errors a user sees."""

from __future__ import annotations

import os
import pathlib
import subprocess

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
