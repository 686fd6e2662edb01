"""The streaming tracker: ch.HealthTracker against the batch signal layer on the same rows (fed in random
batches, shuffled within the lateness bound), late rows, bad batches, damaged snapshots; and
`custhealth track` killed with SIGKILL at random moments, restored and replayed, against the batch result."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import pytest

import custhealth as ch

CLI = os.environ.get("CUSTHEALTH_CLI") or str(pathlib.Path(os.environ.get("CUSTHEALTH_BUILD_DIR", "build")) / "custhealth")
MOMENTS = ["2024-05-01", "2024-09-15 06:00", "2024-12-31"]
TIME_COLUMN = {"usage": "timestamp", "surveys": "timestamp", "tickets": "opened_at", "mrr": "month",
               "payments": "timestamp"}


def seconds(times: pd.Series) -> np.ndarray:
    return times.to_numpy().astype("datetime64[s]").astype(np.int64).astype(np.float64)


@pytest.fixture(scope="module")
def portfolio() -> ch.Dataset:
    return ch.generate(n_accounts=60, days=300, seed=3, end="2025-01-01")


def arrival_batches(frames: dict[str, pd.DataFrame], jitter_s: float, seed: int) -> list[dict[str, pd.DataFrame]]:
    """Every event row in an arrival order shuffled within `jitter_s` seconds (time + a uniform delay),
    cut into batches of random sizes; the accounts table arrives first. With jitter at most half the
    lateness bound no row is late."""
    rng = np.random.default_rng(seed)
    keyed = []
    for table, column in TIME_COLUMN.items():
        df = frames[table]
        at = seconds(pd.to_datetime(df[column])) + rng.uniform(0, jitter_s, len(df))
        keyed.append(pd.DataFrame({"at": at, "table": table, "row": np.arange(len(df))}))
    order = pd.concat(keyed, ignore_index=True).sort_values("at", kind="stable")
    cuts = np.cumsum(rng.integers(1, 2000, size=len(order)))
    bounds = [0, *cuts[cuts < len(order)].tolist(), len(order)]
    batches: list[dict[str, pd.DataFrame]] = [{"accounts": frames["accounts"]}]
    for begin, end in zip(bounds[:-1], bounds[1:]):
        part = order.iloc[begin:end]
        batches.append({table: frames[table].iloc[rows["row"].to_numpy()].reset_index(drop=True)
                        for table, rows in part.groupby("table", sort=False)})
    return batches


def concatenated(batches: list[dict[str, pd.DataFrame]]) -> ch.Dataset:
    """The batches' rows in arrival order as one dataset: what the batch layer sees."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for b in batches:
        for table, df in b.items():
            tables.setdefault(table, []).append(df)
    return ch.Dataset(**{t: pd.concat(dfs, ignore_index=True) for t, dfs in tables.items()})


def test_signals_and_scores_equal_the_batch_layer_on_shuffled_batches(portfolio):
    frames = portfolio.to_frames()
    for seed in (1, 2):
        batches = arrival_batches(frames, jitter_s=12 * 3600, seed=seed)
        tr = ch.HealthTracker(card="saas_health_v1", lateness="1D")
        for b in batches:
            tr.update(**b)
        reference = concatenated(batches)
        assert tr.report["usage"]["late"] == 0
        assert tr.report["usage"]["accepted"] == len(frames["usage"])
        pd.testing.assert_frame_equal(tr.signals(MOMENTS), ch.signals(reference, MOMENTS), check_exact=True)
        pd.testing.assert_frame_equal(tr.signals(MOMENTS[1], key_features=["export"]),
                                      ch.signals(reference, MOMENTS[1], key_features=["export"]), check_exact=True)
        card = ch.Scorecard.load("saas_health_v1")
        pd.testing.assert_frame_equal(tr.scores(MOMENTS[2]), card.score(reference, MOMENTS[2]), check_exact=True)
    # The rows themselves are the generated ones: the same event counts as the original dataset.
    mine = tr.signals(MOMENTS[2], names=["usage.events_90d", "support.open", "payments.chargebacks_90d"])
    pd.testing.assert_frame_equal(mine, ch.signals(portfolio, MOMENTS[2], names=list(mine.columns)), check_exact=True)


def test_alerts_start_once(portfolio):
    frames = portfolio.to_frames()
    tr = ch.HealthTracker()
    tr.update(**frames)
    card = ch.Scorecard.load("saas_health_v1")
    first, second = tr.alerts("2024-11-01"), tr.alerts("2024-12-01")
    expected = card.alerts(portfolio, ["2024-11-01", "2024-12-01"])
    assert len(first) > 0 and len(second) > 0
    for mine, at in ((first, "2024-11-01"), (second, "2024-12-01")):
        pd.testing.assert_frame_equal(mine, expected[expected["as_of"] == pd.Timestamp(at)].reset_index(drop=True))
    with pytest.raises(ch.InvalidInputError, match="must be after the previous call's"):
        tr.alerts("2024-12-01")


def test_an_account_sent_again_replaces_its_row_and_churns(portfolio):
    # The stream sends every account when it starts (no end yet), then an account again when it ends.
    frames = portfolio.to_frames()
    accounts = frames["accounts"]
    ended = accounts[accounts["end"].notna()].iloc[0]
    opening = accounts.assign(end=pd.NaT)
    tr = ch.HealthTracker(card="saas_health_v1", lateness="400D")
    tr.update(accounts=opening, usage=frames["usage"], mrr=frames["mrr"])
    at = pd.Timestamp(ended["end"]) + pd.Timedelta(days=1)
    before = tr.scores(at)
    report = tr.update(accounts=accounts[accounts["account_id"] == ended["account_id"]].reset_index(drop=True))
    assert report["accounts"]["updated"] == 1 and report["accounts"]["accepted"] == 1
    assert tr.report["accounts"]["updated"] == 1 and tr.report["accounts"]["read"] == len(accounts) + 1
    got = tr.dataset.table("accounts").set_index("account_id")
    assert got.loc[ended["account_id"], "end"] == ended["end"] and len(got) == len(accounts)
    # The batch layer on the accounts as they stand now: the opening rows, that account ended.
    now = opening.copy()
    now.loc[now["account_id"] == ended["account_id"], "end"] = ended["end"]
    reference = ch.Dataset(accounts=now, usage=frames["usage"], mrr=frames["mrr"])
    pd.testing.assert_frame_equal(tr.signals(at), ch.signals(reference, at), check_exact=True)
    card = ch.Scorecard.load("saas_health_v1")
    pd.testing.assert_frame_equal(tr.scores(at), card.score(reference, at), check_exact=True)
    # Independently: an account scores only while active — before the update it scored, now it is ended.
    after = tr.scores(at)
    assert not np.isnan(before.loc[ended["account_id"], "score"])
    assert np.isnan(after.loc[ended["account_id"], "score"])
    others = after.index != ended["account_id"]
    pd.testing.assert_series_equal(after["score"][others], before["score"][others], check_exact=True)
    # A known account re-sent without some of the table's columns would lose them (the row is
    # replaced whole): refused, naming them, with nothing applied; a new account may omit them.
    partial = accounts[accounts["account_id"] == ended["account_id"]][["account_id", "start", "end"]]
    with pytest.raises(ch.InvalidInputError, match="lacks segment, plan, owner, seats, renewal_date"):
        tr.update(accounts=partial)
    assert tr.report["accounts"]["read"] == len(accounts) + 1
    fresh = pd.DataFrame({"account_id": ["brand_new"], "start": [pd.Timestamp("2024-06-01")]})
    assert tr.update(accounts=fresh)["accounts"]["accepted"] == 1


def test_late_rows_are_rejected_counted_and_reported():
    tr = ch.HealthTracker(lateness=3600)
    tr.update(usage=pd.DataFrame({"account_id": ["a", "b"], "timestamp": ["2024-05-01T10:00:00Z", "2024-05-01T12:00:00Z"],
                                  "event": ["login", "login"]}))
    report = tr.update(usage=pd.DataFrame({"account_id": ["a", "c", "a"],
                                           "timestamp": ["2024-05-01T11:00:00Z", "2024-05-01T10:59:59Z",
                                                         "2024-05-01T13:00:00Z"],
                                           "event": ["x", "y", "z"]}))
    # Latest of the earlier batch 12:00, bound 1 h: 11:00 is on time, 10:59:59 is late.
    assert report["usage"]["read"] == 3 and report["usage"]["accepted"] == 2 and report["usage"]["late"] == 1
    assert report["usage"]["rejected"] == 1
    [example] = report["usage"]["examples"]
    assert 'account "c"' in example and "lateness bound (3600 s" in example and "2024-05-01T10:59:59Z" in example
    total = tr.report["usage"]
    assert (total["read"], total["accepted"], total["rejected"], total["late"]) == (5, 4, 1, 1)
    assert total["read"] == total["accepted"] + total["rejected"]
    # "c" had only the late row: it is no account of the tracker.
    assert list(tr.dataset.account_ids) == ["a", "b"]
    signals = tr.signals("2024-05-02", names=["usage.events_7d"])
    assert signals["usage.events_7d"].tolist() == [3.0, 1.0]


def test_a_bad_batch_raises_the_batch_loaders_error_and_applies_nothing():
    tr = ch.HealthTracker()
    good = pd.DataFrame({"account_id": ["a"], "timestamp": ["2024-05-01"], "event": ["login"]})
    tr.update(usage=good)
    bad_frames = [
        good.drop(columns="event"),                                   # a missing required column
        good.assign(value=["three"]),                                 # text where a number goes
        good.assign(timestamp=["2024-13-01"]),                        # an unparsable time
        good.assign(value=[float("nan")]),                            # a NaN value
    ]
    for bad in bad_frames:
        with pytest.raises(ch.InvalidInputError) as batch_error:
            ch.Dataset(usage=bad)
        with pytest.raises(ch.InvalidInputError) as tracker_error:
            tr.update(usage=bad)
        assert str(tracker_error.value) == str(batch_error.value)
    assert tr.report["usage"]["read"] == 1
    with pytest.raises(TypeError):
        tr.update(usage={"account_id": ["a"]})  # type: ignore[arg-type]
    with pytest.raises(ch.InvalidInputError, match="no table given"):
        tr.update()
    lenient = ch.HealthTracker(strict=False)
    report = lenient.update(usage=pd.concat([good, good.assign(timestamp=["2024-13-01"])], ignore_index=True))
    assert (report["usage"]["accepted"], report["usage"]["rejected"], report["usage"]["late"]) == (1, 1, 0)


@pytest.mark.parametrize("lateness", [-1, "-1h", True, "soon", "1.5s"])
def test_a_bad_lateness_is_refused(lateness):
    with pytest.raises(ch.InvalidInputError, match="lateness"):
        ch.HealthTracker(lateness=lateness)


def test_lateness_and_position(tmp_path):
    tr = ch.HealthTracker(lateness=pd.Timedelta("6h"))
    assert tr.lateness == pd.Timedelta("6h") and tr.position == 0
    tr.position = 42
    with pytest.raises(ch.InvalidInputError, match="position"):
        tr.position = -1
    tr.snapshot(tmp_path / "s.snap")
    back = ch.HealthTracker.restore(tmp_path / "s.snap")
    assert back.position == 42 and back.lateness == pd.Timedelta("6h")


def test_snapshot_restore_goes_on_where_it_stopped(portfolio, tmp_path):
    frames = portfolio.to_frames()
    batches = arrival_batches(frames, jitter_s=3600, seed=9)
    tr = ch.HealthTracker()
    half = len(batches) // 2
    for b in batches[:half]:
        tr.update(**b)
    tr.snapshot(tmp_path / "state.snap")
    assert os.listdir(tmp_path) == ["state.snap"]  # the temporary file was renamed, not left
    back = ch.HealthTracker.restore(tmp_path / "state.snap", "saas_health_v1")
    pd.testing.assert_frame_equal(back.signals(MOMENTS), tr.signals(MOMENTS), check_exact=True)
    assert back.report == tr.report
    for b in batches[half:]:
        back.update(**b)
    pd.testing.assert_frame_equal(back.signals(MOMENTS), ch.signals(concatenated(batches), MOMENTS), check_exact=True)


def damaged_snapshots(good: bytes) -> dict[str, tuple[bytes, str]]:
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x04
    version = bytearray(good)
    version[8] = 7
    return {
        "flipped byte": (bytes(flipped), "checksum does not match"),
        "truncated": (good[: len(good) * 2 // 3], "truncated"),
        "header only": (good[:10], "not a custhealth tracker snapshot"),
        "another version": (bytes(version), "format version 7; this library reads versions 1 and 2"),
        "not a snapshot": (b"account_id,timestamp,event\n" * 4, "not a custhealth tracker snapshot"),
    }


def test_damaged_snapshots_are_refused(portfolio, tmp_path):
    tr = ch.HealthTracker()
    tr.update(**portfolio.to_frames())
    tr.snapshot(tmp_path / "good.snap")
    good = (tmp_path / "good.snap").read_bytes()
    for name, (content, reason) in damaged_snapshots(good).items():
        path = tmp_path / "bad.snap"
        path.write_bytes(content)
        with pytest.raises(ch.InvalidInputError, match=reason) as err:
            ch.HealthTracker.restore(path)
        assert str(path) in str(err.value), name
    with pytest.raises(ch.InvalidInputError, match='not of "adoption_v1"'):
        ch.HealthTracker.restore(tmp_path / "good.snap", card="adoption_v1")
    edited = ch.Scorecard.load("saas_health_v1").to_dict()
    edited["groups"][0]["weight"] += 1
    with pytest.raises(ch.InvalidInputError, match="another edition"):
        ch.HealthTracker.restore(tmp_path / "good.snap", card=ch.Scorecard.from_dict(edited))
    # Every single flipped byte is refused (a sample of positions).
    rng = np.random.default_rng(4)
    for at in rng.integers(12, len(good), size=25):
        content = bytearray(good)
        content[at] ^= 1 << int(rng.integers(0, 8))
        (tmp_path / "bad.snap").write_bytes(bytes(content))
        with pytest.raises(ch.InvalidInputError):
            ch.HealthTracker.restore(tmp_path / "bad.snap")


# ---- the command line: kill -9 and resume ------------------------------------------------------------

needs_cli = pytest.mark.skipif(not pathlib.Path(CLI).exists(), reason=f"CLI not built at {CLI}")


@pytest.fixture(scope="module")
def stream(tmp_path_factory) -> pathlib.Path:
    """A usage CSV (header first) of a generated portfolio in an arrival order shuffled within 6 hours."""
    usage = ch.generate(n_accounts=300, days=150, seed=21, end="2025-01-01", payments=False).to_frames()["usage"]
    rng = np.random.default_rng(21)
    at = seconds(usage["timestamp"]) + rng.uniform(0, 6 * 3600, len(usage))
    usage = usage.iloc[np.argsort(at, kind="stable")].reset_index(drop=True)
    usage["timestamp"] = usage["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp_path_factory.mktemp("stream") / "usage.csv"
    usage.to_csv(path, index=False)
    return path


def batch_signals(csv: pathlib.Path, as_of: str) -> pd.DataFrame:
    out = ch.signals(ch.read_csv(usage=csv), as_of)
    out.index = out.index.astype(str)
    return out


def cli_signals(path: pathlib.Path) -> pd.DataFrame:
    out = pd.read_csv(path, index_col="account_id", float_precision="round_trip", dtype={"account_id": str})
    return out.astype(np.float64)


def feed(proc: subprocess.Popen[bytes], data: bytes, seed: int) -> None:
    """Writes `data` to the process's stdin in random small pieces, as a producer would over about a
    second; stops quietly when the process dies."""
    rng = np.random.default_rng(seed)
    assert proc.stdin is not None
    try:
        i = 0
        while i < len(data):
            n = int(rng.integers(1, 4096))
            proc.stdin.write(data[i:i + n])
            proc.stdin.flush()
            i += n
            time.sleep(0.0005)
        proc.stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass


def finish(proc: subprocess.Popen[bytes]) -> bytes:
    """Waits for the process; its standard error."""
    proc.wait(timeout=60)
    if proc.stdin is not None and not proc.stdin.closed:
        try:
            proc.stdin.close()
        except OSError:  # a broken pipe: the buffered rest had nowhere to go
            pass
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    if proc.stdout is not None:
        proc.stdout.close()
    return err


def track(snapshot: pathlib.Path, out: pathlib.Path, *extra: str) -> subprocess.Popen[bytes]:
    args = [CLI, "track", "--snapshot", str(snapshot), "--every", "700", "--as-of", "2024-12-20", "--out", str(out)]
    if snapshot.exists():
        args += ["--restore", str(snapshot)]
    return subprocess.Popen(args + list(extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@needs_cli
def test_kill_9_at_random_moments_then_restore_and_replay_gives_the_batch_result(stream, tmp_path):
    data = stream.read_bytes()
    n_rows = data.count(b"\n") - 1
    expected = batch_signals(stream, "2024-12-20")
    rng = np.random.default_rng(2024)
    total_kills, resumed_at = 0, []
    for run in range(3):
        snapshot, out = tmp_path / f"run{run}.snap", tmp_path / f"run{run}.csv"
        kills = 0
        for attempt in range(4):  # killed up to three times, then left to finish
            proc = track(snapshot, out)
            writer = threading.Thread(target=feed, args=(proc, data, int(rng.integers(1 << 30))))
            writer.start()
            if attempt < 3:
                time.sleep(float(rng.uniform(0.05, 0.6)))
                proc.send_signal(signal.SIGKILL)
            writer.join()
            err = finish(proc)
            if proc.returncode == -signal.SIGKILL:
                kills += 1
                if snapshot.exists():  # where the next attempt resumes
                    resumed_at.append(ch.HealthTracker.restore(snapshot).position)
                continue
            assert proc.returncode == 0, err.decode()
            break
        assert f"{n_rows} rows read, {n_rows} accepted, 0 rejected (0 late)".encode() in err, err.decode()
        total_kills += kills
        pd.testing.assert_frame_equal(cli_signals(out), expected, check_exact=True, check_names=False)
        # The last snapshot holds every row once.
        back = ch.HealthTracker.restore(snapshot)
        assert back.position == n_rows and back.report["usage"]["accepted"] == n_rows
    # The tracker was killed several times, and resumed from snapshots in the middle of the stream.
    assert total_kills >= 3 and any(0 < p < n_rows for p in resumed_at), (total_kills, resumed_at)


@needs_cli
def test_sigterm_snapshots_where_it_stopped_and_a_resume_finishes(stream, tmp_path):
    data = stream.read_bytes()
    n_rows = data.count(b"\n") - 1
    snapshot, out = tmp_path / "t.snap", tmp_path / "t.csv"
    lines = data.split(b"\n")
    proc = track(snapshot, out)
    assert proc.stdin is not None
    proc.stdin.write(b"\n".join(lines[:1001]) + b"\n")  # the header and 1000 rows, then silence
    proc.stdin.flush()
    deadline = time.time() + 20
    while not snapshot.exists() and time.time() < deadline:  # the snapshot at row 700
        time.sleep(0.01)
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    proc.stdin.close()
    err = finish(proc)
    assert proc.returncode == 0, err.decode()
    assert b"stopped by a signal" in err
    assert ch.HealthTracker.restore(snapshot).position == 1000
    proc = track(snapshot, out)
    _, err = proc.communicate(data, timeout=60)
    assert proc.returncode == 0, err.decode()
    assert f"{n_rows} rows read, {n_rows} accepted".encode() in err
    pd.testing.assert_frame_equal(cli_signals(out), batch_signals(stream, "2024-12-20"), check_exact=True,
                                  check_names=False)


def run_cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, timeout=60)


@needs_cli
@pytest.mark.parametrize("every", ["0", "-5"])
def test_cli_every_must_be_positive(tmp_path, every):
    r = run_cli("track", "--snapshot", str(tmp_path / "s.snap"), "--every", every, stdin=b"account_id,timestamp,event\n")
    assert r.returncode != 0
    assert b"--every" in r.stderr and every.encode() in r.stderr


@needs_cli
def test_cli_refuses_damaged_and_foreign_snapshots(stream, tmp_path):
    good = tmp_path / "good.snap"
    r = run_cli("track", "--snapshot", str(good), "--as-of", "2024-12-20", stdin=stream.read_bytes())
    assert r.returncode == 0, r.stderr
    for name, (content, reason) in damaged_snapshots(good.read_bytes()).items():
        bad = tmp_path / "bad.snap"
        bad.write_bytes(content)
        r = run_cli("track", "--snapshot", str(tmp_path / "next.snap"), "--restore", str(bad), stdin=stream.read_bytes())
        assert r.returncode == 1, name
        assert reason.encode() in r.stderr and str(bad).encode() in r.stderr, r.stderr
        assert not (tmp_path / "next.snap").exists()  # nothing was loaded, nothing written
    r = run_cli("track", "--snapshot", str(tmp_path / "next.snap"), "--restore", str(good), "--card", "adoption_v1",
                stdin=stream.read_bytes())
    assert r.returncode == 1 and b'not of "adoption_v1"' in r.stderr


@needs_cli
def test_cli_bad_rows_late_rows_and_a_bad_header(tmp_path):
    header = b"account_id,timestamp,event\n"
    rows = b"a,2024-05-02T00:00:00Z,login\nb,2024-04-30T12:00:00Z,login\n"
    # Strict: the first bad row stops the run, named by its line on standard input.
    r = run_cli("track", "--snapshot", str(tmp_path / "s.snap"), stdin=header + rows + b"c,2024-13-01,login\n")
    assert r.returncode == 1
    assert b"stdin:4: column 'timestamp': cannot parse" in r.stderr, r.stderr
    # Lenient: counted and skipped. Batches of one row (--every 1): the row a day before is late.
    r = run_cli("track", "--snapshot", str(tmp_path / "l.snap"), "--every", "1", "--lenient", "--as-of", "2024-05-03",
                stdin=header + rows + b"c,2024-13-01,login\n")
    assert r.returncode == 0, r.stderr
    assert b"3 rows read, 1 accepted, 2 rejected (1 late)" in r.stderr, r.stderr
    report = ch.HealthTracker.restore(tmp_path / "l.snap").report["usage"]
    assert any("stdin:4: column 'timestamp'" in e for e in report["examples"]), report
    assert any("lateness bound" in e for e in report["examples"]), report
    # The header is checked as the batch loader checks a file's.
    r = run_cli("track", "--snapshot", str(tmp_path / "h.snap"), stdin=b"account_id,timestamp\na,2024-05-01\n")
    assert r.returncode == 1 and b"missing required column 'event'" in r.stderr, r.stderr
    r = run_cli("track", "--snapshot", str(tmp_path / "e.snap"), stdin=b"")
    assert r.returncode == 1 and b"no header" in r.stderr
