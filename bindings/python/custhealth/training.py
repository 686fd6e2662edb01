"""Point-in-time training sets for churn models (DESIGN §4 "Churn risk"): the signals of every
eligible account as of each date T, and whether it churned in the horizon [T, T + H) after it.

Features read only rows before T (the signal layer's rule), labels only what happens from T on, so
no future reaches the features of T: the leak most hand-built training sets have without knowing.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._convert import moment, to_seconds
from ._grouping import invalid
from .dataset import Dataset
from .signals import signals as _signals

#: Why an account is left out of the training set of a T (the counts are in ``meta.attrs["excluded"]``).
EXCLUSIONS: tuple[str, ...] = _core.ENUMS["churn_exclusion"]

_TENURE = "account.tenure_days"


def churn_features(ds: Dataset, as_of: Any, horizon_days: int = 90, signals: Sequence[str] | None = None,
                   label: str | int = "end", *, include_incomplete: bool = False, n_threads: int | None = None,
                   targets: Mapping[str, Any] | None = None,
                   key_features: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """A churn training set: features ``X``, labels ``y`` and ``meta``, one row per eligible account
    and as-of date.

    Parameters
    ----------
    ds : Dataset
    as_of : date-like or a list of them
        The dates T (sorted and de-duplicated).
    horizon_days : int, default 90
        H: churn is looked for in [T, T + H).
    signals : list of str, optional
        The feature columns (default: the whole catalogue, ``signal_catalog()``).
    label : "end" or int, default "end"
        ``"end"``: churned when the accounts table's ``end`` falls in [T, T + H). An integer N
        (1 ≤ N ≤ H): inactivity — eligible when the account had a usage event in the N days before T,
        churned when it has none in the last N days of the horizon, [T + H − N, T + H).
    include_incomplete : bool, default False
        Horizons that run past the end of the data (``meta.horizon_complete`` False) are left out
        unless True; then ``y`` is a nullable ``Int8`` with ``<NA>`` where churn is not known yet
        (a churn already seen is 1).
    n_threads, targets, key_features
        As in :func:`signals`.

    Returns
    -------
    X : DataFrame
        The signals, indexed by ``(as_of, account_id)``.
    y : Series
        ``churned``: 1 or 0 (int8), on the same index.
    meta : DataFrame
        ``horizon_complete``, ``tenure_days`` (the signal ``account.tenure_days``) and ``segment``, on the
        same index; ``meta.attrs["excluded"]`` counts the accounts left out by reason (no start, not
        started, ended before T, inactive at T) and ``meta.attrs["observed_until"]`` is the end of the
        data the horizons are checked against (accounts and usage for ``"end"``, usage for inactivity).

    Raises
    ------
    InvalidInputError
        ``horizon_days`` ≤ 0, a label that is neither "end" nor 1..H days, no accounts table ("end"),
        no usage (inactivity), no eligible account at any T, or every horizon incomplete.
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"churn_features: expected a custhealth.Dataset, got {type(ds).__name__}")
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, (int, np.integer)) or horizon_days <= 0:
        raise invalid(f"churn_features: horizon_days must be a whole number > 0, got {horizon_days!r}")
    if label == "end":
        inactivity = 0
    elif isinstance(label, (int, np.integer)) and not isinstance(label, bool) and 1 <= label <= horizon_days:
        inactivity = int(label)
    else:
        raise invalid(f"churn_features: label must be 'end' or a number of inactive days 1..{horizon_days}, "
                      f"got {label!r}")
    many = isinstance(as_of, (list, tuple, np.ndarray, pd.Index, pd.Series))
    try:
        moments = [to_seconds(t) for t in (as_of if many else [as_of])]
    except (TypeError, ValueError) as err:
        raise invalid(f"churn_features: as_of: {err}") from None
    native = _core.churn_labels(ds._native, moments, int(horizon_days), inactivity)

    exclusion = np.asarray(native["exclusion"])
    complete = np.asarray(native["horizon_complete"]).astype(bool)
    churned = np.asarray(native["churned"])
    eligible = exclusion == 0
    if not eligible.any():
        raise invalid("churn_features: no account is eligible at any as_of (each has no start, starts later, "
                      "ended before it" + (", or was inactive" if inactivity else "") + ")")
    keep = eligible if include_incomplete else eligible & complete
    observed = moment(int(native["observed_until"]))
    if not keep.any():
        raise invalid(f"churn_features: every as_of's horizon of {horizon_days} days ends after the data "
                      f"(observed until {observed.date()}): nothing is labelled; choose earlier dates, or pass "
                      "include_incomplete=True to score them")

    asked = list(signals) if signals is not None else [row["name"] for row in _core.SIGNAL_CATALOG]
    wanted = asked if _TENURE in asked else [*asked, _TENURE]
    frame = _signals(ds, as_of=list(np.asarray(native["as_of"])), names=wanted, n_threads=n_threads,
                     targets=targets, key_features=key_features)
    X = frame.loc[keep, asked]
    values = churned[keep]
    y = (pd.Series(pd.array(np.where(values < 0, 0, values), dtype="Int8"), index=X.index, name="churned")
         .mask(values < 0) if include_incomplete else
         pd.Series(values.astype(np.int8), index=X.index, name="churned"))
    accounts = ds.table("accounts")
    codes = np.tile(np.arange(ds.n_accounts), len(native["as_of"]))[keep]
    meta = pd.DataFrame({"horizon_complete": complete[keep], "tenure_days": frame[_TENURE].to_numpy()[keep],
                         "segment": accounts["segment"].array.take(codes)}, index=X.index)
    meta.attrs["excluded"] = {name: int((exclusion == code).sum()) for code, name in enumerate(EXCLUSIONS) if code}
    meta.attrs["observed_until"] = observed
    return X, y, meta


def backtest(ds: Dataset, model: Any, as_of: Sequence[Any], horizon_days: int = 90,
             signals: Sequence[str] | None = None, label: str | int = "end", *,
             n_threads: int | None = None) -> pd.DataFrame:
    """A churn model backtested across time (DESIGN §4 "Backtest and tuning").

    For each ``T`` of ``as_of`` (sorted), a fresh copy of ``model`` (a :class:`LogisticChurnModel`,
    its settings kept) is fitted on the training sets of every earlier date ``T′ ≤ T − H`` of the list —
    whose horizons end by ``T``, so no label of the fit comes from ``T`` on — and scored on the
    accounts eligible at ``T`` whose horizon is complete.

    ``model`` may be a :class:`Scorecard` instead: nothing is fitted; at each ``T`` its risk
    ``100 − score`` ranks the same accounts (those it scores), so ``roc_auc`` and ``pr_auc`` read as
    for a model, ``brier`` and ``log_loss`` are NaN (a score is not a probability), and one
    ``churn_rate:<band>`` column per band gives the observed churn rate of each band.

    Returns
    -------
    DataFrame
        Indexed by ``as_of``: ``n`` (scored accounts), ``churned``, ``churn_rate``, ``roc_auc``,
        ``pr_auc``, ``brier``, ``log_loss``, ``n_train`` and ``train_dates`` (how many earlier dates
        the fit used). A ``T`` with no earlier date far enough back, or whose horizon runs past the data,
        has NaN metrics and ``n_train`` 0 (or ``n`` 0).
    """
    from . import metrics
    from .churn import LogisticChurnModel
    from .scorecard import Scorecard

    if not isinstance(model, (LogisticChurnModel, Scorecard)):
        raise TypeError(f"backtest: expected a custhealth.LogisticChurnModel or Scorecard, got {type(model).__name__}")
    dates = sorted({moment(to_seconds(t)) for t in as_of})
    if not dates:
        raise invalid("backtest: as_of is empty")
    if isinstance(model, Scorecard):
        return _backtest_card(ds, model, dates, horizon_days, label, n_threads)
    X, y, meta = churn_features(ds, dates, horizon_days, signals, label, include_incomplete=True, n_threads=n_threads)
    when = X.index.get_level_values("as_of")
    complete = meta["horizon_complete"].to_numpy()
    rows = []
    for t in dates:
        train_dates = [d for d in dates if d + pd.Timedelta(days=int(horizon_days)) <= t]
        train = when.isin(train_dates) & complete
        test = (when == t) & complete
        row: dict[str, Any] = {"as_of": t, "n": int(test.sum()), "n_train": int(train.sum()),
                               "train_dates": len(train_dates)}
        yt = y[test].to_numpy(dtype=np.int8)
        row.update(churned=int(yt.sum()), churn_rate=float(yt.mean()) if len(yt) else np.nan)
        scores = {"roc_auc": np.nan, "pr_auc": np.nan, "brier": np.nan, "log_loss": np.nan}
        ytrain = y[train].to_numpy(dtype=np.int8)
        if len(yt) and len(ytrain) and 0 < ytrain.sum() < len(ytrain):
            fitted = LogisticChurnModel(l2=model.l2, standardize=model.standardize, max_iter=model.max_iter,
                                        tol=model.tol).fit(X[train], ytrain)
            p = fitted.predict_proba(X[test])[:, 1]
            both = 0 < yt.sum() < len(yt)
            scores = {"roc_auc": metrics.roc_auc(yt, p) if both else np.nan,
                      "pr_auc": metrics.pr_auc(yt, p) if both else np.nan,
                      "brier": metrics.brier(yt, p), "log_loss": metrics.log_loss(yt, p)}
        row.update(scores)
        rows.append(row)
    columns = ["n", "churned", "churn_rate", "roc_auc", "pr_auc", "brier", "log_loss", "n_train", "train_dates"]
    return pd.DataFrame(rows).set_index("as_of")[columns]


def _card_outcomes(ds: Dataset, card: Any, dates: list[pd.Timestamp], horizon_days: int, label: str | int,
                   n_threads: int | None) -> list[tuple[pd.Timestamp, pd.DataFrame, np.ndarray]]:
    """Per date: the card's scores of the accounts it scores whose horizon is complete, and their
    churn labels (both empty at a date without a complete horizon) — what backtest() and tune() read."""
    _, y, meta = churn_features(ds, dates, horizon_days, ["account.tenure_days"], label, include_incomplete=True,
                                n_threads=n_threads)
    when = y.index.get_level_values("as_of")
    complete = meta["horizon_complete"].to_numpy()
    out = []
    for t in dates:
        at = (when == t) & complete
        labels = pd.Series(y[at].to_numpy(dtype=np.int8), index=y[at].index.get_level_values("account_id"))
        scored = card._score(ds, t, None, False, n_threads)[0].reindex(labels.index)
        keep = scored["score"].notna().to_numpy()
        out.append((t, scored[keep], labels.to_numpy()[keep]))
    return out


def _backtest_card(ds: Dataset, card: Any, dates: list[pd.Timestamp], horizon_days: int, label: str | int,
                   n_threads: int | None) -> pd.DataFrame:
    """backtest() of a Scorecard: its scores at each T against the labels churn_features gives."""
    from . import metrics

    rows = []
    for t, scored, yt in _card_outcomes(ds, card, dates, horizon_days, label, n_threads):
        risk = 100 - scored["score"].to_numpy()
        both = 0 < yt.sum() < len(yt)
        row: dict[str, Any] = {"as_of": t, "n": int(len(yt)), "churned": int(yt.sum()),
                               "churn_rate": float(yt.mean()) if len(yt) else np.nan,
                               "roc_auc": metrics.roc_auc(yt, risk) if both else np.nan,
                               "pr_auc": metrics.pr_auc(yt, risk) if both else np.nan,
                               "brier": np.nan, "log_loss": np.nan, "n_train": 0, "train_dates": 0}
        band = scored["band"].to_numpy()
        for name in card.bands:
            inside = band == name
            row[f"churn_rate:{name}"] = float(yt[inside].mean()) if inside.any() else np.nan
        rows.append(row)
    columns = ["n", "churned", "churn_rate", "roc_auc", "pr_auc", "brier", "log_loss", "n_train", "train_dates"]
    return pd.DataFrame(rows).set_index("as_of")[columns + [f"churn_rate:{b}" for b in card.bands]]


OBJECTIVES = ("roc_auc", "pr_auc")


def tune(card: Any, ds: Dataset, as_of: Sequence[Any], horizon_days: int = 90, objective: str = "roc_auc",
         label: str | int = "end", *, validation: int = 1, factors: Sequence[float] = (0.5, 0.8, 1.25, 2.0),
         max_rounds: int = 20, n_threads: int | None = None) -> Any:
    """A card's group and measure weights learned from outcomes (DESIGN §4 "Backtest and tuning").

    The dates of ``as_of`` whose horizon is complete are split in time: the last ``validation`` are held
    out; the earlier ones whose horizon ends by the first held-out date train (no churn is in both). At each date the card's measure scores are computed once; the search
    then only re-weighs them (``_core.scorecard_rescore``, C++ ``rescore``): a coordinate search that
    multiplies each weight in turn by each of ``factors`` and keeps a change when the objective of the
    risk ``100 − score`` (``roc_auc`` or ``pr_auc``, pooled over the training dates) rises, round after
    round until one improves nothing or ``max_rounds`` — deterministic for given data. Weights are
    scale-free (scaling all of them changes no score), so the result's group weights sum to 100.

    Returns a new Scorecard (name ``<name>_tuned``) whose ``tuning_`` DataFrame gives the objective of
    the original and the tuned card on the training and the validation dates, with their sizes.
    """
    from . import metrics
    from .scorecard import Scorecard

    if not isinstance(card, Scorecard):
        raise TypeError(f"tune: expected a custhealth.Scorecard, got {type(card).__name__}")
    if objective not in OBJECTIVES:
        raise invalid(f"tune: objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if isinstance(validation, bool) or not isinstance(validation, (int, np.integer)) or validation < 1:
        raise invalid(f"tune: validation must be a whole number of dates ≥ 1, got {validation!r}")
    if not factors or any(not (f > 0) or f == 1 for f in factors):
        raise invalid("tune: factors must be positive numbers other than 1")
    dates = sorted({moment(to_seconds(t)) for t in as_of})
    # Each date's measure scores (measures × accounts), computed once; the search only re-weighs them.
    measures = list(card.measures.index)
    outcomes = [(t, np.ascontiguousarray(scored[measures].to_numpy(dtype=np.float64).T), yt)
                for t, scored, yt in _card_outcomes(ds, card, dates, horizon_days, label, n_threads) if len(yt)]
    if len(outcomes) <= validation:
        raise invalid(f"tune: {len(outcomes)} of the {len(dates)} dates have a complete {horizon_days}-day horizon; "
                      f"at least {validation + 1} are needed ({validation} held out for validation)")
    held = outcomes[-validation:]
    # Training labels end before the first held-out date (DESIGN §4: fit on data before T − H).
    train = [o for o in outcomes[:-validation] if o[0] + pd.Timedelta(days=int(horizon_days)) <= held[0][0]]
    if not train:
        raise invalid(f"tune: no date's {horizon_days}-day horizon ends by the first held-out date "
                      f"{held[0][0].date()}: give earlier dates")
    metric = metrics.roc_auc if objective == "roc_auc" else metrics.pr_auc

    def stacked(parts: list[tuple[pd.Timestamp, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(np.hstack([b for _, b, _ in parts])), np.concatenate([y for _, _, y in parts])

    (x_train, y_train), (x_held, y_held) = stacked(train), stacked(held)
    if not 0 < y_train.sum() < len(y_train):
        raise invalid("tune: the training dates have churners only or none: nothing to rank")

    def value(group_w: list[float], measure_w: list[float], x: np.ndarray, y: np.ndarray) -> float:
        s = np.asarray(_core.scorecard_rescore(card._native, x, group_w, measure_w))
        ok = ~np.isnan(s)
        return float(metric(y[ok], 100 - s[ok])) if 0 < y[ok].sum() < ok.sum() else np.nan

    m = card.measures
    group_names = list(dict.fromkeys(m["group"]))
    group_w = [float(m.loc[m["group"] == g, "group_weight"].iloc[0]) for g in group_names]
    measure_w = [float(w) for w in m["weight"]]
    start = (list(group_w), list(measure_w))
    best = value(group_w, measure_w, x_train, y_train)
    for _ in range(max_rounds):
        improved = False
        for which, weights in (("group", group_w), ("measure", measure_w)):
            for i in range(len(weights)):
                for f in factors:
                    trial = list(weights)
                    trial[i] *= f
                    g, w = (trial, measure_w) if which == "group" else (group_w, trial)
                    v = value(g, w, x_train, y_train)
                    if v > best + 1e-12:
                        best, improved = v, True
                        weights[i] = trial[i]
        if not improved:
            break

    d = card.to_dict()
    total = sum(group_w)
    j = 0
    for gi, g in enumerate(d["groups"]):
        g["weight"] = 100 * group_w[gi] / total
        for measure in g["measures"]:
            measure["weight"] = measure_w[j]
            j += 1
    d["name"] = f"{card.name}_tuned"
    d["description"] = (f"{card.description} Weights tuned by custhealth.tune on {len(train)} date(s) to "
                        f"{train[-1][0].date()} ({objective}, {horizon_days}-day horizon).").strip()
    tuned = Scorecard.from_dict(d)
    rows = {"train": (x_train, y_train), "validation": (x_held, y_held)}
    tuned.tuning_ = pd.DataFrame(
        {"n": [len(y) for _, y in rows.values()], "churned": [int(y.sum()) for _, y in rows.values()],
         f"{objective}_before": [value(*start, x, y) for x, y in rows.values()],
         f"{objective}_after": [value(group_w, measure_w, x, y) for x, y in rows.values()]},
        index=pd.Index(list(rows), name="dates"))
    return tuned


__all__ = ["churn_features", "backtest", "tune", "EXCLUSIONS", "OBJECTIVES"]
