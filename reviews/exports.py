"""R3: the reviews as CSV, the same rows for the page and the API: each with its times."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from core.csvio import csv_response

from .models import Review
from .selectors import days_between

COLUMNS = [
    "review_id",
    "package_reference",
    "provider_ref",
    "provider_name",
    "branch_ref",
    "branch_name",
    "status",
    "outcome",
    "due_on",
    "delegated_at",
    "submitted_at",
    "signed_off_at",
    "days_to_submit",
    "days_to_sign_off",
    "current_hours",
    "proposed_hours",
    "capacity_concern",
]


def _minute(moment) -> str:
    if not moment:
        return ""
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")


def _blank(value) -> object:
    return "" if value is None else value


def review_rows(reviews: QuerySet[Review]) -> Iterator[list]:
    for r in reviews:
        yield [
            r.pk,
            r.package.reference,
            r.provider.ref,
            r.provider.name,
            r.branch.ref,
            r.branch.name,
            r.status,
            r.outcome or "",
            r.due_on.isoformat(),
            _minute(r.delegated_at),
            _minute(r.submitted_at),
            _minute(r.signed_off_at),
            _blank(days_between(r.delegated_at, r.submitted_at)),
            _blank(days_between(r.submitted_at, r.signed_off_at)),
            _blank(r.current_hours),
            _blank(r.proposed_hours),
            "yes" if r.capacity_concern else "no",
        ]


def reviews_csv_response(reviews: QuerySet[Review]) -> HttpResponse:
    return csv_response("reviews.csv", review_rows(reviews), header=COLUMNS)
