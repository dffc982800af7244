"""Who may do what with trusted reviews (R1–R3): the one place the roles are named, for pages and
API alike. Which reviews a user sees is `Review.objects.visible_to` (A1)."""

from __future__ import annotations

from providers.models import Role, User

REVIEWERS = (Role.REVIEWER,)


def may_read_reviews(user: User) -> bool:
    """Council staff read every review; provider users their own (scoped by `visible_to`)."""
    return user.is_authenticated and (user.is_council or user.is_provider_user)


def may_delegate_reviews(user: User) -> bool:
    """R1, R3: reviewers (and administrators) delegate reviews and sign them off."""
    return user.is_authenticated and user.has_role(*REVIEWERS)


def may_complete_reviews(user: User) -> bool:
    """R2: the provider holding the package completes its review form; the council reads it."""
    return user.is_authenticated and user.is_provider_user
