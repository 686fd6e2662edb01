"""A scorecard (DESIGN §4 "Health scorecard") computed from its definition with plain pandas/numpy and
scipy's rankdata, as the independent reference test_scorecard.py compares ch.Scorecard.score against
and benchmarks/cases/scorecard.py times. Nothing here calls custhealth: the input is the card's dict,
a frame of signals indexed by account and the accounts table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

MISSING = {"neutral": 50.0, "worst": 0.0}


def active(accounts: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Scored at T: started before T and not ended before T."""
    start, end = accounts["start"], accounts["end"]
    return (start.notna() & (start < as_of) & ~(end.notna() & (end < as_of))).to_numpy()


def measure_score(m: dict[str, Any], v: pd.Series, scored: np.ndarray, segment: pd.Series) -> pd.Series:
    """0..100 from the signal by the measure's map, NaN where the signal is NaN or the account is not scored."""
    mp = m["map"]
    x = v.to_numpy(dtype=float)
    out = np.full(len(x), np.nan)
    ok = scored & ~np.isnan(x)
    if "linear" in mp:
        lo, hi = mp["linear"]
        out[ok] = np.clip(100 * (x[ok] - lo) / (hi - lo), 0, 100)
    elif "bins" in mp:
        bounds = np.array([np.inf if b is None else b for b, _ in mp["bins"]])
        scores = np.array([s for _, s in mp["bins"]], dtype=float)
        # The first bin with v < bound; past the last finite bound, the last bin's score.
        i = np.searchsorted(bounds, x[ok], side="right")
        out[ok] = scores[np.minimum(i, len(scores) - 1)]
    else:
        p = mp["percentile"]
        groups = segment.astype(object).fillna("\0").to_numpy() if p.get("within") == "segment" else np.zeros(len(x))
        for g in pd.unique(groups[ok]):
            at = ok & (groups == g)
            # #{< v} + ½ #{= v} is the average rank less ½ (rankdata's "average").
            out[at] = 100 * (rankdata(x[at], method="average") - 0.5) / at.sum()
        if not p.get("higher_is_better", True):
            out[ok] = 100 - out[ok]
    missing = m.get("missing", "reweight")
    if missing != "reweight":
        fill = MISSING.get(missing, missing)
        out[scored & np.isnan(out)] = float(fill)
    return pd.Series(out, index=v.index)


def reference_scores(card: dict[str, Any], signals: pd.DataFrame, accounts: pd.DataFrame,
                     as_of: pd.Timestamp) -> pd.DataFrame:
    """score, band and per measure the score and the points lost, with the effective weights
    w_eff = (W_g / Σ W of present groups) · (w / Σ w of present measures in g)."""
    scored = active(accounts, as_of)
    segment = accounts["segment"].reset_index(drop=True)
    segment.index = signals.index
    cols: dict[str, pd.Series] = {}
    weights: dict[str, pd.Series] = {}
    group_w = {}
    for g in card["groups"]:
        present_w = pd.Series(0.0, index=signals.index)
        names = []
        for m in g["measures"]:
            name = f"{g['name']}/{m['signal']}"
            cols[name] = measure_score(m, signals[m["signal"]], scored, segment)
            present_w += np.where(cols[name].notna(), m["weight"], 0.0)
            names.append((name, m["weight"]))
        for name, w in names:
            weights[name] = pd.Series(np.where(cols[name].notna(), w, 0.0), index=signals.index) / present_w.where(present_w > 0)
        group_w[g["name"]] = pd.Series(np.where(present_w > 0, g["weight"], 0.0), index=signals.index)
    total = sum(group_w.values())
    score = pd.Series(0.0, index=signals.index)
    out = pd.DataFrame(index=signals.index)
    for g in card["groups"]:
        for m in g["measures"]:
            name = f"{g['name']}/{m['signal']}"
            w = group_w[g["name"]] / total.where(total > 0) * weights[name]
            score += (w * cols[name]).fillna(0.0)
            out[f"lost:{name}"] = w * (100 - cols[name])
            out[name] = cols[name]
    score[~scored | ~(total > 0)] = np.nan
    out.insert(0, "score", score)
    bounds = [b.get("below", np.inf) for b in card["bands"]]
    band = np.searchsorted(np.array(bounds), score.to_numpy(), side="right")
    labels = [b["name"] for b in card["bands"]]
    out.insert(1, "band", pd.Categorical([labels[i] if not np.isnan(s) else None
                                          for i, s in zip(np.minimum(band, len(labels) - 1), score)],
                                         categories=labels, ordered=True))
    return out
