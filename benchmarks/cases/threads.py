"""Threads (issue 16): the speed-up of ``n_threads=2`` over one thread on this machine's 2 cores, for
the per-account analytics (all signals at one T, the scorecard end to end, the cohort matrix) and the
row aggregates (NPS by segment x month). The "peer" of each row is custhealth itself on one thread,
so the ratio is time(1 thread) / time(2 threads); DESIGN §8 / issue 16 ask >= 1.7x for signals and
scores. Every pair is checked to give the same bits."""

from __future__ import annotations

import importlib.util
import pathlib
import time

import numpy as np
import pandas as pd

import custhealth as ch

_HERE = pathlib.Path(__file__).resolve().parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, _HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DAYS = 365
AS_OF = pd.Timestamp("2024-12-31")
CARD = "saas_health_v1"


def same_frames(ours, peer) -> None:
    pd.testing.assert_frame_equal(ours, peer, check_exact=True)


def same_cohorts(ours, peer) -> None:
    pd.testing.assert_frame_equal(ours.counts, peer.counts, check_exact=True)
    pd.testing.assert_series_equal(ours.sizes, peer.sizes, check_exact=True)


def logrank_frame(r) -> pd.DataFrame:
    return pd.DataFrame({"statistic": [r.test_statistic], "p_value": [r.p_value]})


def tickets(n: int, seed: int) -> pd.DataFrame:
    """n tickets over a year: first responses after ~2.5 h (10 % unanswered), resolutions after ~4 d
    (20 % open), four priorities."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s")
    first = opened + pd.to_timedelta(rng.exponential(2.5 * 3600, n).astype(np.int64), unit="s")
    resolved = opened + pd.to_timedelta(rng.exponential(4 * 86400, n).astype(np.int64), unit="s")
    return pd.DataFrame({"opened_at": opened, "first_response_at": first.where(rng.random(n) > 0.1),
                         "resolved_at": resolved.where(rng.random(n) > 0.2),
                         "priority": rng.choice(["low", "normal", "high", "urgent"], n, p=[0.3, 0.4, 0.2, 0.1])})


def cases(args):
    from compare import Case, Peer  # noqa: PLC0415

    accounts = 5_000 if args.quick else 100_000
    start = time.perf_counter()
    ds = ch.generate(n_accounts=accounts, days=DAYS, seed=11)
    generated = time.perf_counter() - start
    usage_rows = len(ds.table("usage"))
    card = ch.Scorecard.load(CARD)
    size = f"{accounts:,} accounts, {usage_rows / 1e6:.1f} M usage rows"
    data = f"data: ch.generate(n_accounts={accounts:,}, days={DAYS}, seed=11) in {generated:.1f} s (not timed)"

    def versus_one(name, size_text, call, check, target=None, notes=()):
        return Case(name, size_text, lambda: call(2), [Peer("custhealth, n_threads=1", lambda: call(1), check, target)],
                    notes=[data, *notes] if size_text == size else list(notes))

    rows = 1_000_000 if args.quick else 10_000_000
    answers = _load("feedback").answers(rows, 0, 10, seed=1)
    n_tickets = 500_000 if args.quick else 5_000_000
    ticket_frame = tickets(n_tickets, seed=2)
    subjects = 1_000_000 if args.quick else 10_000_000
    rng = np.random.default_rng(3)
    life, follow = rng.exponential(700.0, subjects), rng.uniform(0.0, 1500.0, subjects)
    exits, events = np.minimum(life, follow), (life <= follow).astype(np.uint8)
    days, groups = np.floor(exits), rng.integers(0, 3, subjects)
    return [
        versus_one(f"signals, all, one T ({AS_OF.date()}), n_threads=2", size,
                   lambda n: ch.signals(ds, as_of=AS_OF, n_threads=n), same_frames, 1.7),
        versus_one(f"scorecard {CARD} end to end, n_threads=2", size,
                   lambda n: card.score(ds, as_of=AS_OF, top_factors=False, n_threads=n), same_frames, 1.7),
        versus_one("cohort retention, monthly, n_threads=2", size,
                   lambda n: ch.cohort_retention(ds, period="M", n_threads=n), same_cohorts),
        versus_one("NPS by segment x month, n_threads=2", f"{rows:,} answers",
                   lambda n: ch.feedback_summary(answers, "nps", by="segment", period="M", n_threads=n), same_frames,
                   notes=["the answers of cases/feedback.py (seed 1), in random time order"]),
        versus_one("tenure, n_threads=2", size, lambda n: ch.tenure(ds, n_threads=n), same_frames),
        versus_one("SLA summary by priority x month, n_threads=2", f"{n_tickets:,} tickets",
                   lambda n: ch.sla_summary(ticket_frame, by="priority", period="M", n_threads=n), same_frames,
                   notes=["tickets(seed 2) of this file, in random time order"]),
        versus_one("Kaplan-Meier, continuous times, n_threads=2", f"{subjects:,} subjects",
                   lambda n: ch.KaplanMeier(n_threads=n).fit(exits, events).survival_function_, same_frames,
                   notes=["exponential(700) lives censored by uniform(0, 1500) follow-up, seed 3"]),
        versus_one("Kaplan-Meier, whole days, n_threads=2", f"{subjects:,} subjects",
                   lambda n: ch.KaplanMeier(n_threads=n).fit(days, events).survival_function_, same_frames,
                   notes=["the same exits floored to days (the counting sort)"]),
        versus_one("log-rank, 3 groups, continuous times, n_threads=2", f"{subjects:,} subjects",
                   lambda n: logrank_frame(ch.multivariate_logrank_test(exits, groups, events, n_threads=n)), same_frames),
        versus_one("log-rank, 3 groups, whole days, n_threads=2", f"{subjects:,} subjects",
                   lambda n: logrank_frame(ch.multivariate_logrank_test(days, groups, events, n_threads=n)), same_frames),
    ]
