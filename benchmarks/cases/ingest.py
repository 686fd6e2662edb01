"""Ingest: a 1,000,000-row usage CSV into an indexed dataset vs pandas.read_csv of the same file."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

import custhealth as ch


def _usage_csv(path: str, rows: int, accounts: int) -> None:
    if os.path.exists(path):
        return
    rng = np.random.default_rng(1)
    start = np.datetime64("2024-01-01T00:00:00")
    times = start + (np.arange(rows) * (365 * 86400 // rows)).astype("timedelta64[s]")
    acct = rng.integers(0, accounts, rows)
    df = pd.DataFrame({
        "account_id": np.char.add("acct_", acct.astype(str)),
        "timestamp": np.datetime_as_string(times, unit="s"),
        "event": np.array(["login", "report_view", "export", "api_call", "dashboard_edit"])[rng.integers(0, 5, rows)],
        "value": rng.integers(1, 11, rows),
        "user_id": np.char.add(np.char.add("u_", acct.astype(str)), np.char.add("_", rng.integers(0, 8, rows).astype(str))),
    })
    df["timestamp"] = df["timestamp"] + "Z"
    df.to_csv(path, index=False)


def cases(args):
    from compare import Case  # noqa: PLC0415 (the runner's module)

    rows = 100_000 if args.quick else 1_000_000
    path = os.path.join(args.data, f"usage_{rows}.csv")
    _usage_csv(path, rows, rows // 100)

    def check(ours, peer):
        assert ours.ingest_report["usage"]["accepted"] == len(peer), "row counts differ"

    return [
        Case("CSV ingest, usage table", f"{rows:,} rows", lambda: ch.read_csv(usage=path),
             lambda: pd.read_csv(path), "pandas.read_csv", 3.0, check,
             notes=["custhealth also parses the timestamps, dictionary-encodes ids, sorts and indexes"]),
        Case("CSV ingest, usage table, dates parsed", f"{rows:,} rows", lambda: ch.read_csv(usage=path),
             lambda: pd.read_csv(path, parse_dates=["timestamp"]), "pandas.read_csv(parse_dates)", 3.0, check),
    ]
