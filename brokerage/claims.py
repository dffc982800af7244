"""L3: the claims list, the same rows for the page, the API and the CSV, scoped by
`Claim.objects.visible_to` (A1: council all, an organisation its branches', a branch its own)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.http import HttpResponse

from core.csvio import csv_response
from providers.models import User

from .models import Claim

CLAIM_COLUMNS = [
    "package_reference",
    "provider_ref",
    "provider_name",
    "branch_ref",
    "branch_name",
    "kind",
    "kind_label",
    "hours",
    "cancelled_on",
]


def claim_queryset(user: User) -> QuerySet[Claim]:
    """The claims `user` may see (A1), with what every list shows of them, newest first."""
    return (
        Claim.objects.visible_to(user)
        .select_related("package", "provider", "branch")
        .order_by("-cancelled_on", "-id")
    )


def claim_totals(claims: QuerySet[Claim]) -> dict:
    """How many claims and how many hours in all (one query)."""
    totals = claims.order_by().aggregate(count=Count("id"), hours=Sum("hours"))
    return {"count": totals["count"], "hours": totals["hours"] or Decimal(0)}


def claim_rows(claims: QuerySet[Claim]) -> Iterator[list]:
    for c in claims:
        yield [
            c.package.reference,
            c.provider.ref,
            c.provider.name,
            c.branch.ref,
            c.branch.name,
            c.kind,
            c.get_kind_display(),
            c.hours,
            c.cancelled_on.isoformat(),
        ]


def claims_csv_response(claims: QuerySet[Claim]) -> HttpResponse:
    return csv_response("claims.csv", claim_rows(claims), header=CLAIM_COLUMNS)
