"""Issue 14.4: no 500 on bad input. An offer filter with a UTC offset PostgreSQL cannot hold, quarter
codes outside any sensible range, and package fields past their bounds are each refused with a
sentence saying what is wrong, in the pages and the API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kpi.models import DiscountedQuarter
from kpi.quarters import Quarter

from .test_api import NEW_PACKAGE
from .test_pages import PACKAGE_POST

pytestmark = pytest.mark.django_db

OFFSET_MESSAGE = "Give a UTC offset between -15:59 and +15:59"
BAD_MOMENTS = ["2026-03-03T00:00:00+16:00", "2026-03-03T00:00:00-23:59", "0001-01-01T00:00+01:00"]


@pytest.mark.parametrize("moment", BAD_MOMENTS)
def test_api_offer_filter_with_an_impossible_moment_is_400(api_as, nina, offer_a1, moment):
    for name in ("sent_after", "sent_before"):
        response = api_as(nina).get("/api/v1/offers/", {name: moment})
        assert response.status_code == 400, response.content
        assert response.json()[name][0].startswith("Give a")


def test_api_offer_filter_at_the_largest_offset_still_answers(api_as, nina, offer_a1):
    response = api_as(nina).get("/api/v1/offers/", {"sent_after": "2026-03-01T00:00:00+15:59"})
    assert response.status_code == 200 and response.json()["count"] == 2  # a1 and b1


def test_history_page_says_what_is_wrong_with_the_filter(client, alice, offer_a1):
    client.force_login(alice)
    response = client.get(reverse("brokerage:history"), {"sent_after": BAD_MOMENTS[0]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Offer history" in page
    assert f"sent_after: {OFFSET_MESSAGE}" in page


def test_history_csv_with_a_bad_filter_is_400_before_any_row(client, alice, offer_a1):
    client.force_login(alice)
    response = client.get(reverse("brokerage:history-csv"), {"sent_after": BAD_MOMENTS[0]})
    assert response.status_code == 400
    assert response.content.decode().startswith(f"sent_after: {OFFSET_MESSAGE}")
    good = client.get(reverse("brokerage:history-csv"), {"sent_after": "2026-03-01T00:00Z"})
    rows = list(csv.reader(io.StringIO(b"".join(good.streaming_content).decode())))
    assert len(rows) == 2


# -- quarters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["0000-01-Q1", "0001-02-Q1", "1999-00-Q4", "2099-00-Q1"])
def test_quarters_outside_the_portals_years_are_refused(code):
    with pytest.raises(ValueError, match="outside the quarters the portal keeps"):
        Quarter.parse(code)
    with pytest.raises(ValidationError):
        DiscountedQuarter(quarter=code, reason="x").full_clean()


def test_quarters_at_the_ends_of_the_range_are_read():
    assert str(Quarter.parse("2000-01-Q1")) == "2000-01-Q1"
    assert str(Quarter.parse("2098-99-Q4")) == "2098-99-Q4"


@pytest.mark.parametrize("code", ["0000-01-Q1", "0001-02-Q1"])
def test_api_quarters_out_of_range_are_400_not_500(api_as, olivia, carl, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rates = api_as(carl).get("/api/v1/kpi/response-rates/", {"quarter": code})
    assert rates.status_code == 400
    upload = api_as(olivia).post(
        "/api/v1/kpi/returns/",
        {"quarter": code, "file": SimpleUploadedFile("q.csv", b"visit_ref\n")},
        format="multipart",
    )
    assert upload.status_code == 400
    assert "outside the quarters the portal keeps" in upload.json()["quarter"][0]
    assert not DiscountedQuarter.objects.exists()


# -- package fields -----------------------------------------------------------------------------------


def _days(n: int) -> str:
    return str(timezone.localdate() + timedelta(days=n))


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"hours_per_week": 169}, "hours_per_week", "cannot be more than 168"),
        ({"start_date": "2062-03-09"}, "start_date", "must be within a year of today"),
        ({"start_date": "1926-03-09"}, "start_date", "must be within a year of today"),
        ({"start_date": _days(400)}, "start_date", "must be within a year of today"),
        ({"needs_summary": "x" * 4001}, "needs_summary", "4000 characters"),
        ({"address": "x" * 501}, "address", "500 characters"),
        ({"full_details": "x" * 10001}, "full_details", "10000 characters"),
    ],
)
def test_api_package_fields_past_their_bounds_are_400(api_as, nina, market, change, field, message):
    response = api_as(nina).post("/api/v1/packages/", {**NEW_PACKAGE, **change}, format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])


def test_api_package_at_the_bounds_is_created(api_as, nina, market):
    body = {
        **NEW_PACKAGE,
        "hours_per_week": 168,
        "start_date": _days(366),
        "needs_summary": "x" * 4000,
    }
    assert api_as(nina).post("/api/v1/packages/", body, format="json").status_code == 201


def test_package_form_says_the_start_date_range(client, nina, market):
    client.force_login(nina)
    data = {
        **PACKAGE_POST,
        "start_date-day": "9",
        "start_date-month": "3",
        "start_date-year": "2062",
    }
    response = client.post(reverse("brokerage:package-create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The wanted start date must be within a year of today, between" in page
    assert 'href="#id_start_date-day"' in page


# -- the schema says what the API answers (found by the schemathesis run, scripts/api_fuzz.sh) -------


def test_schema_documents_the_shortlist_and_hours_as_lists_and_published_by_as_nullable(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in ("/api/v1/packages/{id}/shortlist/", "/api/v1/packages/{id}/hours/"):
        body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert body["schema"]["type"] == "array", path
    shortlist_row = schema["components"]["schemas"]["ShortlistRow"]["properties"]
    assert {"offer", "provider", "branch", "score", "parts"} <= set(shortlist_row)
    components = schema["components"]["schemas"]
    parts = components["ShortlistParts"]["properties"]  # L1: the four parts API.md names
    assert set(parts) == {"response_rate", "quality", "market_share", "start"}
    for part in parts.values():
        name = part["$ref"].rsplit("/", 1)[1]
        assert {"value", "score", "weight"} <= set(components[name]["properties"]), name
    standing = components["Standing"]["properties"]  # L6, on each offer
    assert {"rank", "of", "score", "parts", "awarded"} <= set(standing)
    published_by = schema["components"]["schemas"]["RegisterVersion"]["properties"]["published_by"]
    assert published_by["nullable"] is True


def test_the_shortlist_answers_a_list_matching_its_schema(api_as, nina, offer_a1, alice):
    from brokerage import services
    from brokerage.models import Offer

    Offer.objects.update(deadline=timezone.now() + timedelta(days=2))
    services.offer_respond(
        actor=alice, offer=offer_a1, response="offer_made", start_date=timezone.localdate()
    )
    rows = api_as(nina).get(f"/api/v1/packages/{offer_a1.package_id}/shortlist/").json()
    assert isinstance(rows, list) and rows[0]["offer"] == offer_a1.pk
    hours = api_as(nina).get(f"/api/v1/packages/{offer_a1.package_id}/hours/").json()
    assert isinstance(hours, list)
