"""A provider's placement response to an offer (P6-P9, L1): answer or change the answer while the
window is open; offers left unanswered past their deadline become No Response."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from providers.models import User

from ..models import DeclineReason, Offer, Outcome, PlacementResponse
from .transitions import BrokerageError, InvalidResponse, council_date, settle_offers


def response_window_problem(offer: Offer, now: datetime) -> str | None:
    """Why this offer can no longer be answered, or None while its window is open (P8)."""
    if offer.outcome == Outcome.AWARDED:
        return "This package has been awarded to you; your answer can no longer change."
    if offer.outcome == Outcome.NOT_AWARDED:
        return "This package has been awarded to another provider, so it can no longer be answered."
    if offer.outcome == Outcome.WITHDRAWN:
        return "This package was withdrawn by the council, so it can no longer be answered."
    if (
        offer.placement_response
        in {PlacementResponse.NO_RESPONSE, PlacementResponse.CLOSED_BEFORE_RESPONSE}
        or now >= offer.deadline
    ):
        local = timezone.localtime(offer.deadline)
        return f"The deadline to answer passed at {local:%H:%M on %-d %B %Y}, so this offer can no longer be answered."
    return None


def _check_response(
    response: str, start_date: date | None, reason: str, note: str, *, today: date
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if response == PlacementResponse.OFFER_MADE:
        if start_date is None:
            errors["start_date"] = ["Give the date you can start."]
        elif start_date < today:
            # L1: a start in the past would outrank every honest offer on the start part.
            errors["start_date"] = ["The date you can start must be today or in the future"]
    elif response == PlacementResponse.UNABLE_TO_ACCEPT:
        if reason not in DeclineReason.values:
            errors["reason"] = [f"Choose a reason: {', '.join(DeclineReason.values)}."]
        elif reason == DeclineReason.OTHER and not note.strip():
            errors["note"] = ["Say what the other reason is."]
    else:
        errors["response"] = ["Answer offer_made or unable_to_accept."]
    return errors


@transaction.atomic
def offer_respond(
    *,
    actor: User,
    offer: Offer,
    response: str,
    start_date: date | None = None,
    reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Offer:
    """Answer an offer, or change the answer, while its window is open (P8).

    Raises InvalidResponse for missing fields or an Offer Made start date before today (L1), and
    BrokerageError once the window has closed.
    """
    now = now or timezone.now()
    # "Today" is the council's day (Europe/London), not UTC's: at 00:30 BST it is already tomorrow.
    errors = _check_response(response, start_date, reason, note, today=council_date(now))
    if errors:
        raise InvalidResponse(errors)
    offer = Offer.objects.select_for_update().select_related("package").get(pk=offer.pk)
    problem = response_window_problem(offer, now)
    if problem:
        raise BrokerageError(problem)
    before = {
        "placement_response": offer.placement_response,
        "start_date": str(offer.offered_start_date),
        "reason": offer.reason,
        "note": offer.note,
    }
    offer.placement_response = response
    offer.offered_start_date = start_date if response == PlacementResponse.OFFER_MADE else None
    offer.reason = reason if response == PlacementResponse.UNABLE_TO_ACCEPT else ""
    offer.note = note.strip()
    offer.responded_at = now
    if offer.first_responded_at is None:
        offer.first_responded_at = now  # K11: a changed answer never moves the first one
    offer.responded_by = actor
    offer.save()
    after = {
        "placement_response": offer.placement_response,
        "start_date": str(offer.offered_start_date),
        "reason": offer.reason,
        "note": offer.note,
    }
    audit_record(actor=actor, action="offer.respond", obj=offer, before=before, after=after)
    return offer


def offers_close_expired(*, as_of: datetime) -> int:
    """Offers whose deadline passed by `as_of` with no answer become No Response (P6, P9).

    Rows are claimed with SKIP LOCKED: running twice, or on two workers at once, changes (and
    audits) each offer once.
    """
    with transaction.atomic():
        expired = Offer.objects.filter(
            placement_response__isnull=True, outcome=Outcome.OPEN, deadline__lte=as_of
        )
        changed = settle_offers(
            expired,
            actor=None,
            action="offer.no_response",
            skip_locked=True,
            placement_response=PlacementResponse.NO_RESPONSE,
            closed_at=as_of,
        )
    return len(changed)
