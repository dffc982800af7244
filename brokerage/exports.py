"""The offer and response history as CSV (I4), streamed: the same rows for page and API.

Each coded value keeps its code column (API.md names them, provider systems read them) with the
label shown on screen beside it (`<column>_label`), so a person opening the file reads "Offer Made",
not `offer_made`. Times are Europe/London, to the minute, as the pages show them.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

from core.csvio import csv_response

from .models import DeclineReason, Outcome, PlacementResponse, ServiceLevel, Urgency

HISTORY_COLUMNS = [
    "offer_id",
    "package_reference",
    "ward_code",
    "ward_name",
    "postcode_district",
    "service_level",
    "service_level_label",
    "hours_per_week",
    "urgency",
    "urgency_label",
    "provider_ref",
    "provider_name",
    "branch_ref",
    "branch_name",
    "sent_at",
    "deadline",
    "placement_response",
    "placement_response_label",
    "outcome",
    "outcome_label",
    "responded_at",
    "offered_start_date",
    "reason",
    "reason_label",
    "note",
    "feedback",
    "round",
    "rank",
    "of",
]

TIME_FORMAT = "%Y-%m-%d %H:%M"


def _minute(moment) -> str:
    """'2026-03-02 13:00': the council's local time (GMT or BST), to the minute; '' for none."""
    if not moment:
        return ""
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime(TIME_FORMAT)


def _label(choices, code) -> str:
    """The on-screen label for a code ('' for none; an unknown code as it is)."""
    if not code:
        return ""
    try:
        return choices(code).label
    except ValueError:
        return code


def history_rows(offers) -> Iterator[list]:
    yield HISTORY_COLUMNS
    offers = offers.select_related("package__ward", "branch", "provider").order_by("sent_at", "id")
    for o in offers.iterator(chunk_size=2000):
        p = o.package
        yield [
            o.pk,
            p.reference,
            p.ward.code,
            p.ward.name,
            p.postcode_district,
            p.service_level,
            _label(ServiceLevel, p.service_level),
            p.hours_per_week,
            p.urgency,
            _label(Urgency, p.urgency),
            o.provider.ref,
            o.provider.name,
            o.branch.ref,
            o.branch.name,
            _minute(o.sent_at),
            _minute(o.deadline),
            o.placement_response or "",
            _label(PlacementResponse, o.placement_response),
            o.outcome,
            _label(Outcome, o.outcome),
            _minute(o.responded_at),
            o.offered_start_date or "",
            o.reason,
            _label(DeclineReason, o.reason),
            o.note,
            o.feedback,
            o.round,
            "" if o.rank is None else o.rank,
            "" if o.ranked_of is None else o.ranked_of,
        ]


def history_csv_response(offers, filename: str = "offer-history.csv") -> StreamingHttpResponse:
    return csv_response(filename, history_rows(offers), stream=True)
