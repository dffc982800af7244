"""Who may do what with wards: the one place wards' roles are named, for pages, API and services
alike.

Council staff read the ward register, its versions and comparisons (and brokerage's ward health);
contract managers import the wards and the register (W4) and decide ward requests (W3); provider
users ask for ward changes for the branches they may see, and withdraw their own (A1, through
`visible_to`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from providers.models import Role, User

WARD_REQUEST_DECIDERS = (Role.CONTRACT_MANAGER,)
REGISTER_IMPORTERS = (Role.CONTRACT_MANAGER,)


def may_read_register(user: User | None) -> bool:
    """Council staff (and administrators) see the whole register, its notes and who published."""
    return user is not None and user.is_authenticated and user.is_council


def may_ask_for_wards(user: User | None) -> bool:
    """Provider users ask for ward changes and withdraw their own requests (W3)."""
    return user is not None and user.is_authenticated and user.is_provider_user


def may_decide_ward_requests(user: User | None) -> bool:
    """W3: contract managers (and administrators, who hold every role) decide ward requests."""
    return user is not None and user.is_authenticated and user.has_role(*WARD_REQUEST_DECIDERS)


def may_import_register(user: User | None) -> bool:
    """W4: contract managers (and administrators) import the wards and the register."""
    return user is not None and user.is_authenticated and user.has_role(*REGISTER_IMPORTERS)


def council_only(
    user: User | None, why: str = "The ward register pages are for council staff."
) -> None:
    """Raises PermissionDenied (a 403 saying `why`) unless `user` is council staff."""
    if not may_read_register(user):
        raise PermissionDenied(why)


def provider_only(user: User | None, why: str = "These pages are for provider users.") -> None:
    """Raises PermissionDenied (a 403 saying `why`) unless `user` is a provider user."""
    if not may_ask_for_wards(user):
        raise PermissionDenied(why)
