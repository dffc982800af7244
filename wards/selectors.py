"""Reads of the register that are more than a filter."""

from django.db.models import QuerySet

from .models import RegisterVersion


def register_versions() -> QuerySet[RegisterVersion]:
    """Published register versions, newest first. Version 0, the empty register that serialises
    publishing (see services._lock_register), is not a published version and is left out."""
    return RegisterVersion.objects.filter(number__gt=0).select_related("published_by")
