"""Who may do what in brokerage: the one place its roles are named, for pages and API alike.

Navigators queue, send, award and cancel packages; contract managers and reviewers read them;
provider users see only their own offers (A1, through `Offer.objects.visible_to`).
"""

from __future__ import annotations

from providers.models import Role, User

NAVIGATORS = (Role.NAVIGATOR,)
PACKAGE_READERS = (Role.NAVIGATOR, Role.CONTRACT_MANAGER, Role.REVIEWER)


def may_read_packages(user: User) -> bool:
    """Navigators, contract managers and reviewers (and administrators) see every package."""
    return user.is_authenticated and user.has_role(*PACKAGE_READERS)


def may_act_on_packages(user: User) -> bool:
    """Only navigators (and administrators) change packages."""
    return user.is_authenticated and user.has_role(*NAVIGATORS)


def may_answer_offers(user: User) -> bool:
    """Provider users answer the offers they may see (P8); everyone else only reads them."""
    return user.is_authenticated and user.is_provider_user


def may_see_capacity(user: User) -> bool:
    """P12: council staff read every branch's declared capacity (API `GET /capacity/`)."""
    return user.is_authenticated and user.is_council


def may_see_capacity_page(user: User) -> bool:
    """P12: navigators see capacity by district, contract managers how often providers declare it."""
    return user.is_authenticated and user.has_role(Role.NAVIGATOR, Role.CONTRACT_MANAGER)


def may_declare_capacity(user: User) -> bool:
    """P12: a branch or its organisation declares no capacity; the council may not."""
    return user.is_authenticated and user.is_provider_user
