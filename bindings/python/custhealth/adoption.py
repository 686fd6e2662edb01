"""Product adoption (DESIGN §4 "Adoption"): the adoption signals of every account as of T and the
adoption score 0-100 of a model file (``models/adoption_v1.json`` by default) — a scorecard over the
signal layer, explained in the points each measure cost."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._convert import to_seconds
from ._grouping import invalid
from .dataset import Dataset
from .parallel import resolve_threads
from .scorecard import model_text


def adoption(ds: Dataset, as_of: Any = None, window_days: int = 30, *, model: str = "adoption_v1",
             n_threads: int | None = None) -> pd.DataFrame:
    """Adoption of every account as of ``as_of``: the signals the model reads (breadth, depth,
    stickiness, seat utilisation, recency, trend), ``score`` (0-100; NaN for accounts not active at T:
    not started, or ended before T), ``band``, and per measure the points it cost
    (``lost:<group>/<signal>``; they sum to ``100 - score``).

    ``window_days`` is the adoption window; the catalogue's adoption signals are defined over 30 days,
    so 30 is the one value accepted for now. Default ``as_of``: the end of the dataset's data.
    ``n_threads``: threads over accounts (default ``ch.get_num_threads()``; the same bits for any count)."""
    if not isinstance(ds, Dataset):
        raise TypeError(f"adoption: expected a custhealth.Dataset, got {type(ds).__name__}")
    if isinstance(window_days, bool) or not isinstance(window_days, (int, np.integer)) or window_days < 1:
        raise invalid(f"window_days must be a whole number of days ≥ 1, got {window_days!r}")
    if window_days != 30:
        raise invalid(f"window_days={window_days}: the adoption signals are defined over 30 days (DESIGN §4)")
    text, source = model_text(model)
    card = _core.Scorecard.parse(text, source)
    moment = int(ds._native.time_range[1]) if as_of is None else to_seconds(as_of)
    raw = _core.scorecard_score(ds._native, card, moment, resolve_threads(n_threads, "adoption"))
    out = pd.DataFrame({n: np.asarray(v) for n, v in zip(raw["signal_names"], raw["signals"])},
                       index=ds._account_index())
    out["score"] = np.asarray(raw["score"])
    codes: np.ndarray = np.asarray(raw["band"], dtype=np.int64)
    bands = [name for name, _ in card.bands]
    out["band"] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(bands, ordered=True))
    for name, lost in zip(raw["measure_names"], np.asarray(raw["points_lost"])):
        out[f"lost:{name}"] = np.asarray(lost)
    out.attrs.update(model=card.name, version=card.version, as_of=pd.Timestamp(moment, unit="s"))
    return out


__all__ = ["adoption"]
