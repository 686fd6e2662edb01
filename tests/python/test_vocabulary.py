"""The vocabulary and defaults the core exports (issue 11, part 1.4) are DESIGN's, and the Python
package reads them from the core rather than keeping copies."""

from custhealth import _core, feedback, payments, support
from custhealth._convert import PERIODS, TIME_UNITS
from custhealth.dataset import TABLES


def test_enum_names_are_designs():
    assert TABLES == ("accounts", "usage", "surveys", "tickets", "mrr", "payments")
    assert PERIODS == ("D", "W", "M", "Q")
    assert feedback.KINDS == ("nps", "csat", "ces")
    assert support.PRIORITIES == ("low", "normal", "high", "urgent")
    assert payments.TYPES == ("payment", "refund", "chargeback", "decline", "cancellation")
    assert _core.ENUMS["cohort_mode"] == ("on", "on_or_after")
    assert _core.ENUMS["calibration_strategy"] == ("uniform", "quantile")
    # One schema per table (table.hpp): the columns, their kinds and which are required.
    assert _core.SCHEMA["usage"] == [("account_id", "id", True), ("timestamp", "time", True), ("event", "text", True),
                                     ("value", "number", False), ("user_id", "text", False)]
    assert [name for name, _, _ in _core.SCHEMA["mrr"]] == ["account_id", "month", "mrr"]
    assert list(_core.SCHEMA) == list(TABLES)


def test_defaults_are_designs():
    # DESIGN §4: first response urgent 1 h, high 2 h, normal 2 h, low 8 h; chargebacks 0.65 % / 0.9 %.
    assert support.DEFAULT_TARGETS_HOURS == {"low": 8.0, "normal": 2.0, "high": 2.0, "urgent": 1.0}
    assert payments.DEFAULT_THRESHOLDS == {"chargeback_warning": 0.0065, "chargeback_breach": 0.009}
    assert TIME_UNITS == {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
    assert _core.DEFAULTS["csat_scale"] == 5


def test_the_package_holds_no_copy():
    # The tuples are the core's own objects, not literals kept beside them.
    assert support.PRIORITIES is _core.ENUMS["priority"]
    assert payments.FLAGS is _core.ENUMS["payment_flag"]
