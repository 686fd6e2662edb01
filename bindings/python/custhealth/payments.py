"""Merchant payments quality (DESIGN §4 "Payments") from the payments table, per group and period:
counts and volumes by type; refund rate (refunds / payments, by count and by amount), chargeback
ratio (chargebacks / payments in the same period), decline rate (declines / (payments + declines)),
cancellation rate; a chargeback flag against thresholds (default: warning at 0.65 %, breach at 0.9 %).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._grouping import Key, as_by, invalid, column, enum_codes, frame_keys, numbers, scope, source, ticks, to_frame
from .dataset import Dataset
from .parallel import resolve_threads

TYPES: tuple[str, ...] = _core.ENUMS["payment_type"]
FLAGS: tuple[str, ...] = _core.ENUMS["payment_flag"]

#: Chargeback-ratio thresholds as fractions, as the core defines them.
DEFAULT_THRESHOLDS = {k: float(_core.DEFAULTS[k]) for k in ("chargeback_warning", "chargeback_breach")}

COLUMNS = ("payments", "payment_volume", "refunds", "refund_volume", "chargebacks", "chargeback_volume", "declines",
           "decline_volume", "cancellations", "cancellation_volume", "refund_rate", "refund_amount_rate",
           "chargeback_ratio", "decline_rate", "cancellation_rate", "flag")


def _flag(native: Any) -> "pd.Categorical[str]":
    codes: np.ndarray = np.asarray(native["flag"], dtype=np.int64)
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(FLAGS)))


def _frame_raw(data: pd.DataFrame, by: list[str], per: str | None, at: int | None, window: int, warning: float,
               breach: float, time_col: str, type_col: str, amount_col: str,
               state: bool = False, threads: int = 1, currency_col: str | None = None) -> tuple[Any, list[Key]]:
    """The core's summary of a payments DataFrame (with `state`: its mergeable partial state) and its keys.
    The currency column keeps amounts of different currencies apart: `currency_col` (which must
    exist), else ``currency`` when the frame has one."""
    if currency_col is not None and currency_col not in data.columns:
        raise invalid(f"payments: no currency column {currency_col!r} (columns: {list(data.columns)})")
    currency_col = "currency" if currency_col is None else currency_col
    keys = frame_keys(data, by, "payments")
    time, unit = ticks(column(data, time_col, "payments"), time_col)
    types = enum_codes(column(data, type_col, "payments"), type_col, TYPES, "payment type", "payments")
    amount = numbers(column(data, amount_col, "payments"), amount_col)
    currency = None
    if currency_col in data.columns:
        _, codes, names = Key(currency_col, data[currency_col]).core()
        currency = (codes, names)
    return _core.payments_arrays(time, unit, types, amount, [k.core() for k in keys], per, at, window, warning,
                                 breach, threads, state, currency), keys


def payments_summary(data: Any, by: str | Sequence[str] | None = None, period: str | None = "M", as_of: Any = None,
                     window_days: int | None = None, *,
                     chargeback_warning: float = DEFAULT_THRESHOLDS["chargeback_warning"],
                     chargeback_breach: float = DEFAULT_THRESHOLDS["chargeback_breach"],
                     time_col: str = "timestamp", type_col: str = "type", amount_col: str = "amount",
                     currency_col: str | None = None, n_threads: int | None = None) -> pd.DataFrame:
    """Payments quality per group of ``by`` × period of each row's time.

    ``data`` is a Dataset (keys: ``account_id``, ``segment``, ``plan``, ``owner``, ``currency``)
    or a payments DataFrame (keys: any of its columns). Returns the ``by`` columns, ``period``,
    the counts and volumes per type, ``refund_rate refund_amount_rate chargeback_ratio
    decline_rate cancellation_rate`` (NaN without payments) and ``flag`` (``none`` without
    payments, ``ok``, ``warning`` at ≥ ``chargeback_warning``, ``breach`` at ≥
    ``chargeback_breach``). Raises :class:`InvalidInputError` for an unknown type, a negative,
    NaN or infinite amount, a bad threshold, period or key. ``n_threads``: threads over blocks of
    rows (default ``ch.get_num_threads()``; counts and the double-double volumes merge to the same bits).

    Amounts in different currencies are never added: a group whose rows are in several currencies
    (the Dataset's ``currency``; a DataFrame's ``currency_col``, default ``currency`` when present) has NaN volumes and
    ``refund_amount_rate``, while its counts and count ratios stand; add ``"currency"`` to ``by`` for
    volumes per currency. Rows without a currency join any group's.
    """
    by = as_by(by)
    data = source(data, "payments")
    per, at, window = scope(period, as_of, window_days)
    warning, breach = float(chargeback_warning), float(chargeback_breach)
    threads = resolve_threads(n_threads, "payments_summary")
    keys: list[Key] | None = None
    if isinstance(data, Dataset):
        raw = _core.payments_dataset(data._native, by, per, at, window, warning, breach, threads)
    else:
        raw, keys = _frame_raw(data, by, per, at, window, warning, breach, time_col, type_col, amount_col,
                               threads=threads, currency_col=currency_col)
    return to_frame(raw, by, keys, COLUMNS, extra={"flag": _flag}, source=data)


__all__ = ["payments_summary", "DEFAULT_THRESHOLDS", "TYPES", "FLAGS"]
