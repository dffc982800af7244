"""Every write in the KPI app (STYLE 1), each owning its transaction and writing the audit trail:
returns, what is owed and the settings that change it (`returns`, K5, K6), triggers and their
reset (`triggers`, K7), risk profiles and action plans (`risk`, K9), challenges of a No Response
and their decisions (`challenges`, K10). Import them from here."""

from .challenges import (
    challenge_decide,
    challenge_last_day,
    challenge_make,
    challenge_problem,
)
from .errors import KpiError
from .return_uploads import (
    kpi_return_queue,
    kpi_return_read,
    kpi_return_receive,
    upload_rejection,
)
from .returns import (
    OwedReturn,
    ReturnsOwed,
    discounted_quarter_add,
    discounted_quarter_remove,
    first_due_quarter,
    first_due_quarter_set,
    kpi_return_submit,
    owed_quarters,
    returns_owed,
)
from .risk import action_plan_add, action_plan_set_status, risk_profile_save
from .triggers import (
    EscalationResult,
    kpi_triggers_escalate,
    kpi_triggers_reset,
    trigger_email,
    trigger_recipients,
)

__all__ = [
    "challenge_decide",
    "challenge_last_day",
    "challenge_make",
    "challenge_problem",
    "KpiError",
    "OwedReturn",
    "ReturnsOwed",
    "first_due_quarter",
    "kpi_return_submit",
    "kpi_return_queue",
    "kpi_return_read",
    "kpi_return_receive",
    "upload_rejection",
    "owed_quarters",
    "returns_owed",
    "action_plan_add",
    "action_plan_set_status",
    "discounted_quarter_add",
    "discounted_quarter_remove",
    "first_due_quarter_set",
    "risk_profile_save",
    "EscalationResult",
    "kpi_triggers_escalate",
    "kpi_triggers_reset",
    "trigger_email",
    "trigger_recipients",
]
