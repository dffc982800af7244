"""The offer and response history as CSV (I4), streamed: the same rows for page and API."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

HISTORY_COLUMNS = [
    "offer_id",
    "package_reference",
    "ward_code",
    "ward_name",
    "postcode_district",
    "service_level",
    "hours_per_week",
    "urgency",
    "provider_ref",
    "provider_name",
    "branch_ref",
    "branch_name",
    "sent_at",
    "deadline",
    "placement_response",
    "outcome",
    "responded_at",
    "offered_start_date",
    "reason",
    "note",
    "feedback",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat() if moment else ""


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
            p.hours_per_week,
            p.urgency,
            o.provider.ref,
            o.provider.name,
            o.branch.ref,
            o.branch.name,
            _iso(o.sent_at),
            _iso(o.deadline),
            o.placement_response or "",
            o.outcome,
            _iso(o.responded_at),
            o.offered_start_date or "",
            o.reason,
            o.note,
            o.feedback,
        ]


def history_csv_response(offers, filename: str = "offer-history.csv") -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(r) for r in history_rows(offers)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
