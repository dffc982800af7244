"""Who may do what with KPIs: the one place KPI roles are named, for pages and API alike.

Contract managers (and administrators) manage KPIs: the dashboard, risk profiles, settings and
trigger resets (A2), and make a return on a provider's behalf (K6). Provider users make their own
provider's returns and see their own triggers (A1, through `visible_to`); other council staff
read returns and triggers.
"""

from __future__ import annotations

from providers.models import Role, User

COUNCIL_KPI = (Role.CONTRACT_MANAGER,)
RETURN_MAKERS_ON_BEHALF = (Role.CONTRACT_MANAGER,)


def may_manage_kpi(user: User) -> bool:
    """Contract managers (and administrators): the council's KPI pages and trigger resets."""
    return user.is_authenticated and user.has_role(*COUNCIL_KPI)


def may_make_returns_on_behalf(user: User) -> bool:
    """Contract managers (and administrators) make a return naming the provider (K6)."""
    return user.is_authenticated and user.has_role(*RETURN_MAKERS_ON_BEHALF)


def may_make_returns(user: User) -> bool:
    """Provider users for their own provider, and those who make returns on a provider's behalf."""
    return user.is_authenticated and (user.is_provider_user or may_make_returns_on_behalf(user))


def may_read_returns_and_triggers(user: User) -> bool:
    """Provider users (their own, A1) and council staff (every provider's)."""
    return user.is_authenticated and (user.is_provider_user or user.is_council)


def may_read_own_kpis(user: User) -> bool:
    """Provider users see their own provider's figures and offers (K4)."""
    return user.is_authenticated and user.is_provider_user


def may_challenge(user: User) -> bool:
    """K10: provider users challenge their own offers' No Response (A1 through `visible_to`)."""
    return user.is_authenticated and user.is_provider_user


def may_decide_challenges(user: User) -> bool:
    """K10: contract managers (and administrators) uphold or reject a challenge."""
    return user.is_authenticated and user.has_role(*COUNCIL_KPI)


def may_read_challenges(user: User) -> bool:
    """K10: provider users read their own challenges (A1), council staff every one."""
    return user.is_authenticated and (user.is_provider_user or user.is_council)


def may_read_market_gaps(user: User) -> bool:
    """K12: council staff read decline reasons by district, ward and service level (A2: providers
    are refused, whatever their scope)."""
    return user.is_authenticated and user.is_council
