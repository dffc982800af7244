"""KPI pages: the provider's own figures (K4) and returns (K5), the council's dashboard (K8),
triggers (K7), risk profiles and action plans (K9), the KPI settings (K6), and challenges of a
No Response (K10).

Provider users reach their own provider's records only, through `visible_to` (A1: 404 otherwise);
council-only pages answer 403 to them before any lookup, so nothing leaks (A2).
"""

from .challenges import challenge_decide, challenge_list, challenge_new
from .council import (
    discount_add,
    discount_remove,
    first_due_set,
    kpi_settings,
    risk_detail,
    risk_list,
    risk_plan_add,
    risk_plan_status,
    risk_profile_save,
    trigger_list,
    trigger_reset,
)
from .dashboard_pages import dashboard_csv, dashboard_page, market_gaps_csv, response_rates_csv
from .mine import my_kpis, my_offers
from .returns import return_detail, return_list, return_upload, return_upload_status

__all__ = [
    "challenge_decide",
    "challenge_list",
    "challenge_new",
    "my_kpis",
    "my_offers",
    "dashboard_page",
    "dashboard_csv",
    "market_gaps_csv",
    "response_rates_csv",
    "return_list",
    "return_upload",
    "return_detail",
    "return_upload_status",
    "trigger_list",
    "trigger_reset",
    "risk_list",
    "risk_detail",
    "risk_profile_save",
    "risk_plan_add",
    "risk_plan_status",
    "kpi_settings",
    "discount_add",
    "discount_remove",
    "first_due_set",
]
