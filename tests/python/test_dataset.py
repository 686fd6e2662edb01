"""The data layer from Python: pandas in (zero-copy where the dtype fits), CSV files in, the same
validation and messages as the C++ reader, DataFrames out, the GIL released while C++ works."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import custhealth as ch


def usage_frame(n=1000, accounts=20, seed=0):
    rng = np.random.default_rng(seed)
    acct = np.sort(rng.integers(0, accounts, n))
    return pd.DataFrame({
        "account_id": [f"a{a:03d}" for a in acct],
        "timestamp": np.int64(1_700_000_000) + np.arange(n, dtype=np.int64) * 60,
        "event": rng.choice(["login", "export", "api_call"], n),
        "value": rng.random(n),
    })


def test_version_and_errors_are_value_errors():
    assert ch.__version__ == "0.1.0"
    for err in (ch.InvalidInputError, ch.ModelSpecError, ch.ConvergenceError):
        assert issubclass(err, ValueError)


def test_dataset_from_pandas_round_trips():
    df = usage_frame()
    ds = ch.Dataset(usage=df)
    assert ds.n_accounts == df.account_id.nunique()
    out = ds.table("usage")
    assert len(out) == len(df)
    np.testing.assert_array_equal(out["value"].to_numpy(), df["value"].to_numpy())
    assert list(out["account_id"].astype(str)) == list(df["account_id"])
    expected = pd.to_datetime(df["timestamp"], unit="s")
    assert (out["timestamp"].to_numpy() == expected.to_numpy()).all()
    assert ds.ingest_report["usage"]["read"] == len(df)


def test_numeric_columns_are_read_without_a_copy():
    df = usage_frame()
    value, ts = df["value"].to_numpy(), df["timestamp"].to_numpy()
    ds = ch.Dataset(usage=df)
    columns = ds._native.columns("usage")  # views of the core's columns
    assert np.shares_memory(columns["value"], value)
    assert np.shares_memory(columns["timestamp"], ts)
    del df, value, ts  # the dataset keeps the borrowed arrays alive
    assert columns["value"].sum() == pytest.approx(ds.table("usage")["value"].sum())


def test_unsorted_input_is_sorted_by_account_and_time():
    df = usage_frame().sample(frac=1.0, random_state=3)
    out = ch.Dataset(usage=df).table("usage")
    key = list(zip(out["account_id"].astype(str), out["timestamp"]))
    assert key == sorted(key)


def test_times_as_datetimes_strings_and_epoch_agree():
    base = pd.DataFrame({"account_id": ["a", "b"], "event": ["x", "y"]})
    as_strings = base.assign(timestamp=["2024-03-01T12:30:00+01:00", "2024-03-02"])
    as_datetimes = base.assign(timestamp=pd.to_datetime(["2024-03-01T11:30:00Z", "2024-03-02T00:00:00Z"]))
    as_epoch = base.assign(timestamp=np.array([1709292600, 1709337600], dtype=np.int64))
    frames = [ch.Dataset(usage=d).table("usage")["timestamp"] for d in (as_strings, as_datetimes, as_epoch)]
    for f in frames[1:]:
        pd.testing.assert_series_equal(frames[0], f)


def test_strict_mode_names_the_row_and_column():
    df = pd.DataFrame({"account_id": ["a", "a"], "timestamp": ["2024-01-01", "2024-13-01"], "event": ["x", "x"]})
    with pytest.raises(ch.InvalidInputError, match=r"usage\[1\]: column 'timestamp': cannot parse as a date or time: \"2024-13-01\""):
        ch.Dataset(usage=df)


def test_lenient_mode_counts_every_rejected_row():
    surveys = pd.DataFrame({
        "account_id": ["a", "b", "c", None, "e"],
        "timestamp": ["2024-01-01"] * 5,
        "kind": ["nps", "nps", "csat", "nps", "wow"],
        "score": [9.0, 11.0, np.nan, 5.0, 3.0],
    })
    ds = ch.Dataset(surveys=surveys, strict=False)
    report = ds.ingest_report["surveys"]
    assert (report["read"], report["accepted"], report["rejected"]) == (5, 1, 4)
    assert report["reasons"] == {
        "column 'score': NPS must be an integer 0..10": 1,
        "column 'score': must be a finite number": 1,
        "column 'account_id': is empty": 1,
        "column 'kind': expected one of nps, csat, ces": 1,
    }
    assert len(ds.table("surveys")) == 1


@pytest.mark.parametrize("table,frame,message", [
    ("mrr", pd.DataFrame({"account_id": ["a"], "month": ["2024-01"], "mrr": [-5.0]}), "must not be negative"),
    ("mrr", pd.DataFrame({"account_id": ["a", "a"], "month": ["2024-01", "2024-01-20"], "mrr": [5.0, 6.0]}),
     "already has a row for this month"),
    ("accounts", pd.DataFrame({"account_id": ["a"], "start": ["2024-02-01"], "end": ["2024-01-01"]}), "is before start"),
    ("tickets", pd.DataFrame({"account_id": ["a"], "opened_at": ["2024-01-02"], "first_response_at": ["2024-01-01"]}),
     "is before opened_at"),
    ("tickets", pd.DataFrame({"account_id": ["a"], "opened_at": ["2024-01-02"], "priority": ["asap"]}),
     "expected one of low, normal, high, urgent"),
    ("payments", pd.DataFrame({"account_id": ["a"], "timestamp": ["2024-01-02"], "type": ["payment"], "amount": [np.inf]}),
     "must be a finite number"),
    ("usage", pd.DataFrame({"account_id": ["a"], "event": ["x"]}), "missing required column 'timestamp'"),
])
def test_domain_checks(table, frame, message):
    with pytest.raises(ch.InvalidInputError, match=message):
        ch.Dataset(**{table: frame})


def test_column_mappings():
    df = pd.DataFrame({"customer": ["a"], "ts": ["2024-01-01"], "what": ["login"]})
    ds = ch.Dataset(usage=df, account_col="customer", timestamp_col="ts", event_col="what")
    assert ds.account_ids == ["a"]
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        ch.Dataset(usage=df, acount_col="customer")


def test_rejections_name_renamed_columns_and_write_out_numbers():
    accounts = pd.DataFrame({"customer": ["a", "b", "b"], "began": ["2024-02-01", "2024-01-01", "2024-01-01"],
                             "finish": ["2024-01-01", None, None], "n_seats": [1.0, -2.0, 1.0]})
    usage = pd.DataFrame({"customer": ["a", "a"], "timestamp": [1, 2], "event": ["x", "x"], "v": [np.inf, 1.0]})
    tickets = pd.DataFrame({"customer": ["a", "a"], "opened": ["2024-01-02"] * 2,
                            "answered": ["2024-01-01", None], "closed": [None, "2024-01-01"]})
    surveys = pd.DataFrame({"customer": ["a"], "timestamp": [1], "kind": ["nps"], "rating": [11]})
    mrr = pd.DataFrame({"customer": ["a"], "month": ["2024-01"], "amount_mrr": [-5.5]})
    payments = pd.DataFrame({"customer": ["a"], "timestamp": [1], "type": ["payment"], "paid": [-np.inf]})
    ds = ch.Dataset(accounts=accounts, usage=usage, surveys=surveys, tickets=tickets, mrr=mrr, payments=payments,
                    strict=False, account_col="customer", start_col="began", end_col="finish", seats_col="n_seats",
                    value_col="v", score_col="rating", opened_col="opened", first_response_col="answered",
                    resolved_col="closed", mrr_col="amount_mrr", amount_col="paid")
    examples = {table: report["examples"] for table, report in ds.ingest_report.items() if report["examples"]}
    assert examples == {
        "accounts": ["accounts[0]: column 'finish': is before began: \"2024-01-01\"",
                     "accounts[1]: column 'n_seats': must not be negative: \"-2.000000\"",
                     "accounts[2]: column 'customer': account already has a row: \"b\""],
        "usage": ["usage[0]: column 'v': must be a finite number: \"inf\""],
        "surveys": ["surveys[0]: column 'rating': NPS must be an integer 0..10: \"11.000000\""],
        "tickets": ["tickets[0]: column 'answered': is before opened: \"2024-01-01\"",
                    "tickets[1]: column 'closed': is before opened: \"2024-01-01\""],
        "mrr": ["mrr[0]: column 'amount_mrr': must not be negative: \"-5.500000\""],
        "payments": ["payments[0]: column 'paid': must be a finite number: \"-inf\""],
    }


def test_read_csv_matches_pandas(tmp_path):
    df = usage_frame(500)
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp_path / "usage.csv"
    df.to_csv(path, index=False)
    ds = ch.read_csv(usage=path)
    out = ds.table("usage")
    np.testing.assert_allclose(out["value"].to_numpy(), df["value"].to_numpy(), rtol=0, atol=0)
    assert ds.ingest_report["usage"]["source"] == str(path)


def test_read_csv_errors_name_file_line_and_column(tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("account_id,timestamp,event\na,2024-01-01,x\na,2024-13-01,x\n")
    with pytest.raises(ch.InvalidInputError, match=r"usage.csv:3: column 'timestamp'"):
        ch.read_csv(usage=path)
    report = ch.read_csv(usage=path, strict=False).ingest_report["usage"]
    assert report["read"] == report["accepted"] + report["rejected"] == 2


def test_generate_is_deterministic_and_round_trips_through_csv(tmp_path):
    a = ch.generate(n_accounts=60, days=200, seed=11)
    b = ch.generate(n_accounts=60, days=200, seed=11)
    for name in ch.dataset.TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name))
    assert list(a.truth.columns) == ["true_health", "true_churn_probability", "churned", "base_health"]
    a.to_csv(tmp_path)
    c = ch.read_csv(directory=tmp_path)
    for name in ch.dataset.TABLES:
        pd.testing.assert_frame_equal(a.table(name), c.table(name), check_categorical=False)


def test_to_frames_has_every_table():
    frames = ch.generate(n_accounts=30, days=120, seed=1).to_frames()
    assert set(frames) == set(ch.dataset.TABLES)
    assert {"account_id", "start", "end", "segment", "seats"} <= set(frames["accounts"].columns)


def test_gil_is_released_while_the_core_works(runs_without_gil):
    assert runs_without_gil(lambda: ch.generate(n_accounts=3000, days=365, seed=5)), \
        "the main thread never ran while the core was working"


def test_empty_frames_are_empty_tables():
    empty = pd.DataFrame({"account_id": pd.Series([], dtype=object), "timestamp": pd.Series([], dtype="int64"),
                          "event": pd.Series([], dtype=object)})
    ds = ch.Dataset(usage=empty)
    assert ds.n_accounts == 0
    assert ds.ingest_report["usage"]["read"] == 0


def test_integer_account_ids_sort_as_text():
    df = pd.DataFrame({"account_id": [10, 9, 10], "timestamp": [3, 2, 1], "event": ["x", "y", "z"]})
    ds = ch.Dataset(usage=df)
    assert ds.account_ids == ["10", "9"]
    out = ds.table("usage")
    assert list(out["account_id"].astype(str)) == ["10", "10", "9"]
    assert list(out["event"].astype(str)) == ["z", "x", "y"]


def test_integer_and_string_ids_of_one_account_are_one_account():
    # usage names accounts 10 and 9 by integers, accounts by strings: still two accounts, and
    # each usage row stays with its own (the ids used to come apart and shift by one).
    usage = pd.DataFrame({"account_id": [10, 9], "timestamp": [1, 2], "event": ["ten", "nine"]})
    accounts = pd.DataFrame({"account_id": ["10", "9"], "start": [0, 0]})
    for strict in (True, False):
        ds = ch.Dataset(usage=usage, accounts=accounts, strict=strict)
        assert ds.account_ids == ["10", "9"]
        assert ds.ingest_report["usage"]["rejected"] == 0 and ds.ingest_report["accounts"]["rejected"] == 0
        out = ds.table("usage")
        assert sorted(zip(out["account_id"].astype(str), out["event"].astype(str))) == [("10", "ten"), ("9", "nine")]
        assert list(ds.table("accounts")["account_id"].astype(str)) == ["10", "9"]


def test_account_ids_all_missing_or_none():
    usage = pd.DataFrame({"account_id": [None, None], "timestamp": [1, 2], "event": ["a", "b"]})
    ds = ch.Dataset(usage=usage, strict=False)
    assert ds.n_accounts == 0 and ds.ingest_report["usage"]["rejected"] == 2
    assert ch.Dataset(usage=usage.iloc[:0]).n_accounts == 0


# ---- issue 12: implausible times, units, wrapping integer types ----

def test_implausible_times_are_rejected_with_a_hint():
    frame = pd.DataFrame({"account_id": ["a", "b"], "timestamp": np.array([1_709_251_200, 10**17], np.int64),
                          "event": ["login", "login"]})
    with pytest.raises(ch.InvalidInputError, match=r"usage\[1\]: column 'timestamp': is not a plausible time"):
        ch.Dataset(usage=frame)
    lenient = ch.Dataset(usage=frame, strict=False)
    assert lenient.ingest_report["usage"]["rejected"] == 1 and len(lenient.table("usage")) == 1
    millis = frame.assign(timestamp=np.array([1_709_251_200_000, 1_709_337_600_500], np.int64))
    with pytest.raises(ch.InvalidInputError, match=r"epoch milliseconds\? pass time_unit='ms'"):
        ch.Dataset(usage=millis)
    times = ch.Dataset(usage=millis, time_unit="ms").table("usage")["timestamp"]
    # The same instants pandas reads from those milliseconds, floored to the second.
    expected = pd.to_datetime(millis["timestamp"], unit="ms").dt.floor("s")
    assert list(times) == list(expected)
    with pytest.raises(ValueError, match="unknown time_unit 'minutes'"):
        ch.Dataset(usage=frame, time_unit="minutes")


def test_unsigned_and_float_times_never_wrap_or_turn_missing():
    base = {"account_id": ["a"], "event": ["login"]}
    for values in (np.array([2**63 + 5], np.uint64), np.array([1e20]), np.array([-1e20]), np.array([np.inf])):
        with pytest.raises(ch.InvalidInputError, match="is not a plausible time"):
            ch.Dataset(usage=pd.DataFrame({**base, "timestamp": values}))
    # A plausible unsigned time is that time.
    ok = ch.Dataset(usage=pd.DataFrame({**base, "timestamp": np.array([1_709_251_200], np.uint64)}))
    assert ok.table("usage")["timestamp"].iloc[0] == pd.Timestamp("2024-03-01")


def test_booleans_are_not_times():
    with pytest.raises(ch.InvalidInputError, match="cannot parse as a date or time"):
        ch.Dataset(usage=pd.DataFrame({"account_id": ["a"], "timestamp": [True], "event": ["login"]}))


def test_read_csv_time_unit(tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("account_id,timestamp,event\na,1709251200000,login\n")
    with pytest.raises(ch.InvalidInputError, match=r"usage.csv:2: column 'timestamp'.*time_unit='ms'"):
        ch.read_csv(usage=path)
    assert ch.read_csv(usage=path, time_unit="ms").table("usage")["timestamp"].iloc[0] == pd.Timestamp("2024-03-01")


def test_every_table_comes_back_with_its_columns_even_unloaded(tmp_path):
    # Issue 12, defect 4: a table that was not loaded raised a bare TypeError; an empty MRR table
    # came back without columns.
    path = tmp_path / "usage.csv"
    path.write_text("account_id,timestamp,event\na,2024-01-01,login\n")
    ds = ch.read_csv(usage=path)
    expected = {
        "accounts": ["account_id", "start", "end", "segment", "plan", "owner", "seats", "renewal_date"],
        "usage": ["account_id", "timestamp", "event", "value", "user_id"],
        "surveys": ["account_id", "timestamp", "kind", "score", "respondent"],
        "tickets": ["account_id", "opened_at", "first_response_at", "resolved_at", "priority", "owner"],
        "mrr": ["account_id", "month", "mrr"],
        "payments": ["account_id", "timestamp", "type", "amount", "currency"],
    }
    frames = ds.to_frames()
    assert {name: list(frame.columns) for name, frame in frames.items()} == expected
    assert len(frames["usage"]) == 1 and len(frames["accounts"]) == 1
    assert all(len(frames[name]) == 0 for name in ("surveys", "tickets", "mrr", "payments"))
    assert frames["usage"]["user_id"].isna().all() and frames["accounts"]["start"].isna().all()
    assert frames["mrr"]["month"].dtype.kind == "M" and frames["payments"]["amount"].dtype == np.float64
    with pytest.raises(ch.InvalidInputError, match='unknown table "usages": expected one of accounts, usage'):
        ds.table("usages")


def test_nan_usage_value_is_rejected_not_one():
    frame = pd.DataFrame({"account_id": ["a", "a"], "timestamp": ["2024-01-01", "2024-01-02"], "event": ["x", "y"],
                          "value": [2.0, np.nan]})
    with pytest.raises(ch.InvalidInputError, match=r"usage\[1\]: column 'value': must be a finite number"):
        ch.Dataset(usage=frame)
    lenient = ch.Dataset(usage=frame, strict=False)
    assert lenient.ingest_report["usage"]["rejected"] == 1
    assert list(lenient.table("usage")["value"]) == [2.0]
    # Without the column every row counts 1.
    assert list(ch.Dataset(usage=frame.drop(columns="value")).table("usage")["value"]) == [1.0, 1.0]


def test_booleans_are_not_scores():
    surveys = pd.DataFrame({"account_id": ["a"], "timestamp": ["2024-01-01"], "kind": ["nps"], "score": [True]})
    with pytest.raises(ch.InvalidInputError, match="column 'score' must be numeric, got booleans"):
        ch.Dataset(surveys=surveys)
    with pytest.raises(ValueError, match="got booleans"):
        ch.nps([True, False, True])


def test_window_days_zero_or_negative_is_an_error():
    ds = ch.generate(n_accounts=20, days=120, seed=3)
    for bad in (0, -7):
        with pytest.raises(ch.InvalidInputError, match=r"window_days must be a whole number of days ≥ 1"):
            ch.feedback_summary(ds, kind="nps", window_days=bad)
        with pytest.raises(ch.InvalidInputError, match=r"window_days must be a whole number of days ≥ 1"):
            ch.sla_summary(ds, window_days=bad)


def test_invalid_utf8_is_a_clear_error_not_a_later_unicode_error(tmp_path):
    path = tmp_path / "usage.csv"
    path.write_bytes(b"account_id,timestamp,event\na\xff,2024-01-01,login\nb,2024-01-02,login\n")
    with pytest.raises(ch.InvalidInputError, match=r"usage.csv:2: column 'account_id': is not valid UTF-8"):
        ch.read_csv(usage=path)
    ds = ch.read_csv(usage=path, strict=False)
    assert ds.account_ids == ["b"] and ds.ingest_report["usage"]["rejected"] == 1
    assert list(ds.to_frames()["usage"]["account_id"]) == ["b"]


def test_integer_ids_never_pass_through_float64():
    # Issue 12: one frame with float ids (a missing one) made every frame's ids float64, so
    # 1234567890123456789 became 1.2345678901234568e+18 and neighbouring large ids collided.
    big = 1234567890123456789
    usage = pd.DataFrame({"account_id": np.array([big, big + 1], np.int64), "timestamp": ["2024-01-01"] * 2,
                          "event": ["login"] * 2})
    surveys = pd.DataFrame({"account_id": [12.0, np.nan], "timestamp": ["2024-01-02"] * 2, "kind": ["nps"] * 2,
                            "score": [9.0, 3.0]})
    ds = ch.Dataset(usage=usage, surveys=surveys, strict=False)
    assert sorted(ds.account_ids) == sorted([str(big), str(big + 1), "12"])
    assert ds.ingest_report["surveys"]["rejected"] == 1  # the missing id, named, not dropped silently
    assert list(ds.table("surveys")["account_id"]) == [12]  # integer ids come back as integers
    assert ds.table("usage")["account_id"].tolist() == [big, big + 1]  # exactly: never through float64


def test_ids_keep_their_type_so_results_join_the_input():
    # Issue 12: integer account ids come back as integers (int64) from every per-account result and
    # table, so accounts.join(result) works; text ids stay text; mixed frames meet as text.
    accounts = pd.DataFrame({"account_id": [101, 7, 2000], "start": pd.to_datetime(["2024-01-01"] * 3),
                             "segment": ["a", "b", "a"]})
    usage = pd.DataFrame({"account_id": [101, 7, 7, 2000], "event": "login",
                          "timestamp": pd.to_datetime(["2024-03-10", "2024-03-12", "2024-03-20", "2024-03-25"])})
    surveys = pd.DataFrame({"account_id": [7, 2000], "timestamp": pd.to_datetime(["2024-03-01", "2024-03-02"]),
                            "kind": "nps", "score": [9.0, 3.0]})
    mrr = pd.DataFrame({"account_id": [101, 7], "month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                        "mrr": [10.0, 20.0]})
    ds = ch.Dataset(accounts=accounts, usage=usage, surveys=surveys, mrr=mrr)
    T = pd.Timestamp("2024-04-01")
    sig = ch.signals(ds, T, names=["usage.events_30d"])
    assert sig.index.dtype == np.int64 and sorted(sig.index) == [7, 101, 2000]
    joined = accounts.set_index("account_id").join(sig)
    # The counts by hand: 101 one event, 7 two, 2000 one in the 30 days before T.
    assert joined["usage.events_30d"].to_dict() == {101: 1.0, 7: 2.0, 2000: 1.0}
    card = ch.Scorecard.load("saas_health_v1")
    assert card.score(ds, T).index.dtype == np.int64
    assert ch.tenure(ds).index.dtype == np.int64
    assert ch.mrr_movements(ds)["account_id"].dtype == np.int64
    by_account = ch.feedback_summary(ds, "nps", by="account_id", period=None)
    assert by_account["account_id"].tolist() == [7, 2000]  # sorted as numbers
    assert by_account.set_index("account_id").loc[7, "n"] == 1
    for name, frame in ds.to_frames().items():
        assert frame["account_id"].dtype == np.int64, name
    # Kept through a pickle and a CSV round trip (read_csv: every id a canonical integer).
    import pickle
    assert pickle.loads(pickle.dumps(ds))._account_index().dtype == np.int64
    # Text ids stay text, and so do frames that mix integer and text ids.
    text = ch.Dataset(usage=usage.assign(account_id=usage["account_id"].astype(str)))
    assert ch.signals(text, T, names=["usage.events_30d"]).index.astype(object).tolist()[0].__class__ is str
    mixed = ch.Dataset(accounts=accounts, usage=usage.assign(account_id=usage["account_id"].astype(str)))
    assert not pd.api.types.is_integer_dtype(ch.signals(mixed, T, names=["usage.events_30d"]).index.dtype)
    # uint64 ids beyond int64 stay text, exactly (never wrapped to negative numbers).
    huge = ch.Dataset(usage=usage.assign(account_id=np.array([2**63 + 5, 3, 3, 4], dtype=np.uint64)))
    assert sorted(huge.table("usage")["account_id"].astype(str)) == sorted(["9223372036854775813", "3", "3", "4"])


def test_csv_ids_that_are_canonical_integers_read_as_integers(tmp_path):
    (tmp_path / "usage.csv").write_text("account_id,timestamp,event\n12,2024-01-01,login\n-3,2024-01-02,login\n")
    ds = ch.read_csv(directory=tmp_path)
    assert ds.table("usage")["account_id"].dtype == np.int64
    assert sorted(ds.table("usage")["account_id"]) == [-3, 12]
    ds.to_csv(tmp_path / "out")
    assert ch.read_csv(directory=tmp_path / "out").table("usage")["account_id"].dtype == np.int64
    # One id that is not written as int64 prints it keeps them all text: nothing is changed by reading.
    for other in ["007", "+5", "1.0", "9223372036854775808", "x1"]:
        (tmp_path / "usage.csv").write_text(f"account_id,timestamp,event\n12,2024-01-01,login\n{other},2024-01-02,login\n")
        ids = ch.read_csv(directory=tmp_path).table("usage")["account_id"]
        assert sorted(ids.astype(str)) == sorted(["12", other]) and not pd.api.types.is_integer_dtype(ids.dtype), other


def test_column_names_per_table(tmp_path):
    # Issue 12: the same default column under a different name in each table; per-table names win
    # over *_col= for their table, and a misspelt table or column is an error, not ignored.
    usage = pd.DataFrame({"customer": ["a", "b"], "event_time": ["2024-01-01", "2024-01-02"], "event": ["x", "y"]})
    payments = pd.DataFrame({"customer": ["a"], "paid_at": ["2024-01-03"], "type": ["payment"], "amount": [5.0]})
    columns = {"usage": {"timestamp": "event_time"}, "payments": {"timestamp": "paid_at"}}
    ds = ch.Dataset(usage=usage, payments=payments, columns=columns, account_col="customer")
    assert ds.account_ids == ["a", "b"]
    assert list(ds.table("usage")["timestamp"]) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    assert list(ds.table("payments")["timestamp"]) == [pd.Timestamp("2024-01-03")]
    usage.to_csv(tmp_path / "usage.csv", index=False)
    payments.to_csv(tmp_path / "payments.csv", index=False)
    back = ch.read_csv(directory=tmp_path, columns=columns, account_col="customer")
    assert back == ds
    with pytest.raises(ch.InvalidInputError, match=r"usage\.csv:1: missing required column 'paid_at'"):
        ch.read_csv(payments=tmp_path / "usage.csv", columns=columns, account_col="customer")
    with pytest.raises(ch.InvalidInputError, match=r"columns: unknown table 'usages': expected one of accounts, usage"):
        ch.Dataset(usage=usage, columns={"usages": {"timestamp": "event_time"}})
    with pytest.raises(ch.InvalidInputError, match=r"columns\['usage'\]: unknown column 'time': expected one of "
                                                   r"account_id, timestamp, event, value, user_id"):
        ch.Dataset(usage=usage, columns={"usage": {"time": "event_time"}})



def test_rejected_rows_are_named_by_their_index_label():
    # DESIGN §3 / issue 12: a DataFrame's row is named by its index label; a default 0..n-1 index keeps
    # the position form (`surveys[2]`), the same row either way.
    surveys = pd.DataFrame({"account_id": ["a", "b", "c"], "timestamp": ["2024-01-01"] * 3, "kind": ["nps"] * 3,
                            "score": [9.0, 10.0, 11.0]}, index=[100, 200, 300])
    with pytest.raises(ch.InvalidInputError, match=r"^surveys\[label 300\]: column 'score': NPS must be an integer"):
        ch.Dataset(surveys=surveys)
    with pytest.raises(ch.InvalidInputError, match=r"^surveys\[2\]: column 'score'"):
        ch.Dataset(surveys=surveys.reset_index(drop=True))
    lenient = ch.Dataset(surveys=surveys.set_axis(pd.Index(["x", "y", "z"], name="id")), strict=False)
    assert lenient.ingest_report["surveys"]["examples"] == [
        "surveys[label z]: column 'score': NPS must be an integer 0..10: \"11.000000\""]
