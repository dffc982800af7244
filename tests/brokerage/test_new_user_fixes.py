"""What a new user ran into (issue 8): dates that cannot be right (L1, L3), the offer history CSV in
codes and microseconds (I4), "1 hours" and a doubled full stop on the cancelled offer (L3), and
a date hint that showed a day already past."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage import services
from brokerage.forms import CancelForm, PackageForm, RespondForm
from brokerage.models import Offer, PackageStatus, PlacementResponse
from brokerage.wording import hours, sentence
from core.forms import date_example

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db

ANSWERED = MONDAY_11 + timedelta(hours=2)
AWARDED = MONDAY_11 + timedelta(days=1)  # Tuesday 3 March 2026, 11:00 GMT
# 23:30 UTC on 15 June 2026 is 00:30 BST on 16 June: London's today is the 16th, UTC's the 15th.
SUMMER_NEAR_MIDNIGHT = datetime(2026, 6, 15, 23, 30, tzinfo=UTC)


def today() -> date:
    return timezone.localdate()


def as_user(client, user):
    client.force_login(user)
    return client


def date_post(name: str, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def open_now(offer: Offer) -> Offer:
    """Push the offer's deadline into the future so the window is open at the real now."""
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() + timedelta(days=2))
    offer.refresh_from_db()
    return offer


def awarded(offer: Offer, user, navigator, *, at: datetime = AWARDED):
    """The offer's branch makes an offer and the navigator awards it at `at`."""
    services.offer_respond(
        actor=user, offer=offer, response="offer_made", start_date=date(2026, 3, 9), now=ANSWERED
    )
    services.package_award(actor=navigator, package=offer.package, offer=offer, now=at)
    offer.package.refresh_from_db()
    return offer.package


def error_summary(body: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S)
    assert match, "no GOV.UK error summary on the page"
    return match.group(0)


# --- L1: an Offer Made start date before today is refused --------------------------------------


def test_L1_service_refuses_an_offer_made_start_before_today(offer_a1, alice):
    with pytest.raises(services.InvalidResponse) as caught:
        services.offer_respond(
            actor=alice,
            offer=offer_a1,
            response="offer_made",
            start_date=date(2020, 1, 6),
            now=ANSWERED,
        )
    assert caught.value.errors == {
        "start_date": ["The date you can start must be today or in the future"]
    }
    offer_a1.refresh_from_db()
    assert offer_a1.placement_response is None and offer_a1.offered_start_date is None


def test_L1_a_start_today_is_accepted(offer_a1, alice):
    offer = services.offer_respond(
        actor=alice,
        offer=offer_a1,
        response="offer_made",
        start_date=ANSWERED.date(),
        now=ANSWERED,
    )
    assert offer.offered_start_date == date(2026, 3, 2)


def test_L1_today_is_londons_today_not_utcs_near_midnight(offer_a1, alice):
    """At 23:30 UTC in summer it is already tomorrow in London: UTC's today is in the past."""
    Offer.objects.filter(pk=offer_a1.pk).update(deadline=SUMMER_NEAR_MIDNIGHT + timedelta(days=1))
    with pytest.raises(services.InvalidResponse) as caught:
        services.offer_respond(
            actor=alice,
            offer=offer_a1,
            response="offer_made",
            start_date=date(2026, 6, 15),
            now=SUMMER_NEAR_MIDNIGHT,
        )
    assert "start_date" in caught.value.errors
    offer = services.offer_respond(
        actor=alice,
        offer=offer_a1,
        response="offer_made",
        start_date=date(2026, 6, 16),
        now=SUMMER_NEAR_MIDNIGHT,
    )
    assert offer.offered_start_date == date(2026, 6, 16)


def test_L1_a_past_start_does_not_reach_the_shortlist(offer_a1, offer_b1, alice, bob):
    """The 2020 start that was ranked first is never saved, so it cannot top the shortlist."""
    from allocation.matrix import shortlist

    with pytest.raises(services.InvalidResponse):
        services.offer_respond(
            actor=alice,
            offer=offer_a1,
            response="offer_made",
            start_date=date(2020, 3, 2),
            now=ANSWERED,
        )
    services.offer_respond(
        actor=bob, offer=offer_b1, response="offer_made", start_date=date(2026, 3, 20), now=ANSWERED
    )
    assert [row.offer_id for row in shortlist(offer_a1.package)] == [offer_b1.pk]


def test_L1_page_refuses_a_past_start_with_the_error_summary(client, alice, offer_a1):
    offer = open_now(offer_a1)
    as_user(client, alice)
    response = client.post(
        reverse("brokerage:offer", args=[offer.pk]),
        {"response": "offer_made", **date_post("start_date", today() - timedelta(days=1))},
    )
    assert response.status_code == 200
    body = response.content.decode()
    summary = error_summary(body)
    assert (
        '<a href="#id_start_date-day">The date you can start must be today or in the future</a>'
        in summary
    )
    assert 'id="id_start_date-error"' in body  # the field's own error message
    assert "<title>Error: " in body
    offer.refresh_from_db()
    assert offer.placement_response is None


def test_L1_page_accepts_a_start_today(client, alice, offer_a1):
    offer = open_now(offer_a1)
    as_user(client, alice)
    response = client.post(
        reverse("brokerage:offer", args=[offer.pk]),
        {"response": "offer_made", **date_post("start_date", today())},
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.placement_response == PlacementResponse.OFFER_MADE


def test_L1_api_refuses_a_past_start_with_400_on_start_date(api_as, alice, offer_a1):
    offer = open_now(offer_a1)
    url = f"/api/v1/offers/{offer.pk}/respond/"
    past = api_as(alice).post(
        url, {"response": "offer_made", "start_date": "2020-03-02"}, format="json"
    )
    assert past.status_code == 400
    assert past.json() == {"start_date": ["The date you can start must be today or in the future"]}
    offer.refresh_from_db()
    assert offer.placement_response is None
    ok = api_as(alice).post(
        url, {"response": "offer_made", "start_date": str(today())}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["offered_start_date"] == str(today())


def test_L1_api_near_midnight_uses_londons_today(api_as, alice, offer_a1, monkeypatch):
    """The API, with no `now` of its own, takes today from the clock in Europe/London."""
    monkeypatch.setattr(timezone, "now", lambda: SUMMER_NEAR_MIDNIGHT)
    Offer.objects.filter(pk=offer_a1.pk).update(deadline=SUMMER_NEAR_MIDNIGHT + timedelta(days=1))
    url = f"/api/v1/offers/{offer_a1.pk}/respond/"
    client = api_as(alice)
    utc_today = client.post(url, {"response": "offer_made", "start_date": "2026-06-15"})
    assert utc_today.status_code == 400 and "start_date" in utc_today.json()
    london_today = client.post(url, {"response": "offer_made", "start_date": "2026-06-16"})
    assert london_today.status_code == 200, london_today.json()


# --- L3: a cancellation dated before the award is refused ---------------------------------------


def test_L3_service_refuses_a_cancellation_dated_before_the_award(offer_b1, bob, nina):
    package = awarded(offer_b1, bob, nina)
    with pytest.raises(services.InvalidResponse) as caught:
        services.package_cancel(
            actor=nina, package=package, reason="Moved away", cancelled_on=date(2019, 5, 1)
        )
    assert caught.value.errors == {
        "cancelled_on": [
            "The date the package was cancelled must be the same as or after 3 March 2026, "
            "when it was awarded"
        ]
    }
    package.refresh_from_db()
    assert package.status == PackageStatus.AWARDED and package.claim_hours is None


def test_L3_a_cancellation_on_the_award_day_is_accepted(offer_b1, bob, nina):
    package = awarded(offer_b1, bob, nina)
    package = services.package_cancel(
        actor=nina, package=package, reason="Moved away", cancelled_on=date(2026, 3, 3)
    )
    assert package.status == PackageStatus.CANCELLED


def test_L3_the_award_day_is_londons_near_midnight(offer_b1, bob, nina):
    """Awarded at 00:30 BST on 16 June (23:30 UTC on the 15th): the 15th is before the award."""
    package = awarded(offer_b1, bob, nina, at=SUMMER_NEAR_MIDNIGHT)
    with pytest.raises(services.InvalidResponse) as caught:
        services.package_cancel(
            actor=nina, package=package, reason="x", cancelled_on=date(2026, 6, 15)
        )
    assert "16 June 2026" in caught.value.errors["cancelled_on"][0]
    package = services.package_cancel(
        actor=nina, package=package, reason="x", cancelled_on=date(2026, 6, 16)
    )
    assert package.cancelled_on == date(2026, 6, 16)


def test_L3_page_refuses_a_cancellation_before_the_award(client, nina, bob, offer_b1):
    package = awarded(offer_b1, bob, nina)
    as_user(client, nina)
    response = client.post(
        reverse("brokerage:package-cancel", args=[package.pk]),
        {"reason": "Moved away", **date_post("cancelled_on", date(2019, 5, 1))},
    )
    assert response.status_code == 200
    body = response.content.decode()
    summary = error_summary(body)
    assert (
        '<a href="#id_cancelled_on-day">The date the package was cancelled must be the same as or after'
        in (summary)
    )
    assert 'id="id_cancelled_on-error"' in body and "3 March 2026, when it was awarded" in body
    package.refresh_from_db()
    assert package.status == PackageStatus.AWARDED


def test_L3_api_refuses_a_cancellation_before_the_award_with_400_on_date(
    api_as, nina, bob, offer_b1
):
    package = awarded(offer_b1, bob, nina)
    url = f"/api/v1/packages/{package.pk}/cancel/"
    refused = api_as(nina).post(url, {"reason": "Moved", "date": "2019-05-01"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["date"]
    assert "after 3 March 2026" in refused.json()["date"][0]
    package.refresh_from_db()
    assert package.status == PackageStatus.AWARDED
    ok = api_as(nina).post(url, {"reason": "Moved", "date": "2026-03-03"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"


# --- Date hints show a date still to come ---------------------------------------------------------


def test_date_example_is_four_weeks_ahead():
    assert date_example(date(2026, 12, 20)) == "For example, 17 1 2027"


@pytest.mark.parametrize(
    ("form", "field"),
    [(RespondForm, "start_date"), (CancelForm, "cancelled_on"), (PackageForm, "start_date")],
)
def test_L1_L3_date_hints_show_a_future_example(form, field):
    hint = form().fields[field].help_text
    day, month, year = (int(n) for n in hint.removeprefix("For example, ").split())
    assert date(year, month, day) > today()


def test_the_cancel_page_hint_is_a_future_date(client, nina, bob, offer_b1):
    package = awarded(offer_b1, bob, nina)
    as_user(client, nina)
    body = client.get(reverse("brokerage:package-cancel", args=[package.pk])).content.decode()
    assert date_example() in body
    assert "27 3 2026" not in body


# --- L3: "1 hour", and one full stop after the reason ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1"), "1 hour"),
        (Decimal("1.00"), "1 hour"),
        (Decimal("2"), "2 hours"),
        (Decimal("0.50"), "0.5 hours"),
        (Decimal("4.29"), "4.29 hours"),
        (Decimal("10"), "10 hours"),
        (Decimal("0"), "0 hours"),
    ],
)
def test_L3_claim_hours_are_pluralised(value, shown):
    assert hours(value) == shown


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Moved away", "Moved away."),
        ("Moved away.", "Moved away."),
        ("  Moved away.  ", "Moved away."),
        ("Died?", "Died?"),
        ("", ""),
    ],
)
def test_a_reason_ends_with_one_full_stop(typed, shown):
    assert sentence(typed) == shown


def test_L3_provider_sees_1_hour_and_one_full_stop_after_the_reason(client, nina, bob, offer_b1):
    package = awarded(offer_b1, bob, nina)
    services.package_cancel(
        actor=nina,
        package=package,
        reason="Went into hospital.",
        cancelled_on=date(2026, 3, 4),
        doorstep=True,
    )
    as_user(client, bob)
    body = client.get(reverse("brokerage:offer", args=[offer_b1.pk])).content.decode()
    assert "Went into hospital. You may claim <strong>1 hour</strong>." in body
    assert "hospital.." not in body and "1 hours" not in body


def test_L3_navigator_sees_1_hour_on_the_package_and_in_the_message(client, nina, bob, offer_b1):
    package = awarded(offer_b1, bob, nina)
    as_user(client, nina)
    cancel_page = client.get(reverse("brokerage:package-cancel", args=[package.pk]))
    assert "<strong>1 hour</strong>" in cancel_page.content.decode()  # the doorstep claim
    response = client.post(
        reverse("brokerage:package-cancel", args=[package.pk]),
        {"reason": "Moved away", "doorstep": "on", **date_post("cancelled_on", date(2026, 3, 4))},
        follow=True,
    )
    body = response.content.decode()
    assert "The provider may claim 1 hour." in body
    assert re.search(r"Provider may claim</dt><dd[^>]*>1 hour \(the assessment hour\)", body)
    assert "1 hours" not in body and "1.00 hours" not in body


# --- I4: the offer history CSV reads as the pages do ------------------------------------------------


def history(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def answered_history(offer_a1, offer_b1, alice, bob):
    services.offer_respond(
        actor=alice,
        offer=offer_a1,
        response="offer_made",
        start_date=date(2026, 3, 9),
        now=ANSWERED,
    )
    services.offer_respond(
        actor=bob,
        offer=offer_b1,
        response="unable_to_accept",
        reason="no_capacity",
        now=ANSWERED + timedelta(seconds=17, microseconds=123456),
    )
    return offer_a1, offer_b1


def test_I4_history_csv_gives_the_labels_shown_on_screen_beside_the_codes(
    client, api_as, nina, answered_history
):
    as_user(client, nina)
    for response in (
        client.get(reverse("brokerage:history-csv")),
        api_as(nina).get("/api/v1/offers/export.csv"),
    ):
        rows = {r["branch_ref"]: r for r in history(response)}
        made, declined = rows["A1"], rows["B1"]
        # The codes stay where API consumers read them (API.md); the labels sit beside them.
        assert (made["placement_response"], made["placement_response_label"]) == (
            "offer_made",
            "Offer Made",
        )
        assert (made["service_level"], made["service_level_label"]) == (
            "homecare_single",
            "Homecare – Single Carer",
        )
        assert (made["outcome"], made["outcome_label"]) == ("open", "Open")
        assert (made["urgency"], made["urgency_label"]) == ("standard", "Standard")
        assert (declined["reason"], declined["reason_label"]) == ("no_capacity", "No capacity")
        assert declined["placement_response_label"] == "Unable to Accept"


def test_I4_history_csv_times_are_london_times_to_the_minute(client, nina, answered_history):
    as_user(client, nina)
    rows = {r["branch_ref"]: r for r in history(client.get(reverse("brokerage:history-csv")))}
    # Sent 11:00 GMT on 2 March 2026; answered 13:00:17.123456 (no seconds, no microseconds).
    assert rows["B1"]["sent_at"] == "2026-03-02 11:00"
    assert rows["B1"]["responded_at"] == "2026-03-02 13:00"
    assert rows["B1"]["deadline"] == "2026-03-05 11:00"


def test_I4_history_csv_summer_times_are_british_summer_time(client, nina, answered_history):
    offer_a1, _ = answered_history
    Offer.objects.filter(pk=offer_a1.pk).update(responded_at=SUMMER_NEAR_MIDNIGHT)
    as_user(client, nina)
    rows = {r["branch_ref"]: r for r in history(client.get(reverse("brokerage:history-csv")))}
    assert rows["A1"]["responded_at"] == "2026-06-16 00:30"


# --- I1: the ward list is a type-ahead, loaded from static files (strict CSP) -----------------------


def test_I1_create_package_page_enhances_the_ward_select_from_static_files(client, nina, ward):
    as_user(client, nina)
    body = client.get(reverse("brokerage:package-create")).content.decode()
    assert re.search(r'<select name="ward"[^>]*data-portal-autocomplete="ward"', body)
    assert '<option value="E05012001">Fishwick, Preston (E05012001)</option>' in body  # no JS
    for path in (
        "/static/accessible-autocomplete/accessible-autocomplete.min.js",
        "/static/accessible-autocomplete/accessible-autocomplete.min.css",
        "/static/js/select-autocomplete.js",
    ):
        assert path in body
    # Only base.html's one nonced line is inline: the initialiser is a file the CSP allows.
    assert len(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)) == 1
