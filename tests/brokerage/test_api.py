"""The packages and offers API as API.md writes it, with A1 scoping for every endpoint."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.models import Offer

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db


def later(days: int) -> str:
    """An ISO date `days` after today: an Offer Made start before today is refused (L1)."""
    return str(timezone.localdate() + timedelta(days=days))


NEW_PACKAGE = {
    "reference": "LCC-2026-0001",
    "ward": "E05012001",
    "postcode": "pr1 4ab",
    "service_level": "homecare_single",
    "hours_per_week": 10.5,
    "urgency": "standard",
    "start_date": later(7),  # a start date must be within a year of today (issue 14.4)
    "carer_gender": "female",
    "call_pattern": "3 calls a day: morning, lunch, tea",
    "needs_summary": "Personal care and meals after a fall.",
}


@pytest.fixture
def open_offers(offered_package):
    """Push the deadlines into the future so the window is open now."""
    Offer.objects.update(deadline=timezone.now() + timedelta(days=2))
    return offered_package


def test_navigator_creates_queues_and_sends_a_package(api_as, nina, market):
    client = api_as(nina)
    created = client.post("/api/v1/packages/", NEW_PACKAGE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (
        body["status"] == "draft"
        and body["postcode"] == "PR1 4AB"
        and body["hours_per_week"] == 10.5
    )
    pk = body["id"]
    assert client.post(f"/api/v1/packages/{pk}/queue/").json()["status"] == "queued"
    sent = client.post(f"/api/v1/packages/{pk}/send-now/")
    assert sent.status_code == 200 and sent.json()["status"] == "offered"
    assert Offer.objects.filter(package_id=pk).count() == 2


def test_bad_package_gets_field_errors_and_nothing_is_saved(api_as, nina, market):
    response = api_as(nina).post(
        "/api/v1/packages/",
        {**NEW_PACKAGE, "ward": "E05999999", "service_level": "gardening"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"ward", "service_level"}
    assert not api_as(nina).get("/api/v1/packages/").json()["count"]


def test_package_filters(api_as, nina, market, ward, other_ward):
    from tests.factories import PackageFactory

    PackageFactory(ward=ward, urgency="urgent", status="queued")
    PackageFactory(ward=other_ward, service_level="stcah_two")
    client = api_as(nina)
    assert client.get("/api/v1/packages/?urgency=urgent").json()["count"] == 1
    assert client.get("/api/v1/packages/?status=queued").json()["count"] == 1
    assert client.get(f"/api/v1/packages/?ward={other_ward.code}").json()["count"] == 1
    assert client.get("/api/v1/packages/?service_level=stcah_two").json()["count"] == 1


@pytest.mark.parametrize("persona", ["alice", "olivia", "bob"])
def test_provider_users_may_not_use_the_packages_api(api_as, persona, request, offered_package):
    user = request.getfixturevalue(persona)
    client = api_as(user)
    assert client.get("/api/v1/packages/").status_code == 403
    assert client.post("/api/v1/packages/", NEW_PACKAGE, format="json").status_code == 403


def test_contract_manager_reads_packages_but_may_not_change_them(api_as, carl, offered_package):
    client = api_as(carl)
    assert client.get(f"/api/v1/packages/{offered_package.pk}/").status_code == 200
    assert (
        client.post(f"/api/v1/packages/{offered_package.pk}/withdraw/", {"reason": "x"}).status_code
        == 403
    )


def test_no_token_is_401(api_client):
    assert api_client.get("/api/v1/offers/").status_code == 401


def test_offer_lists_are_scoped_branch_sibling_org_other_council(
    api_as, alice, olivia, bob, nina, market, ward, other_ward
):
    """A1: branch sees its own; org sees all its branches'; other provider none of ours; council all."""
    from brokerage.distribution import distribute_packages
    from tests.factories import PackageFactory

    PackageFactory(ward=ward, status="queued")  # a1, b1
    PackageFactory(ward=other_ward, status="queued")  # a2
    distribute_packages(as_of=MONDAY_11)

    def refs(user):
        return sorted(
            o["branch"]["ref"] for o in api_as(user).get("/api/v1/offers/").json()["results"]
        )

    assert refs(alice) == ["A1"]
    assert refs(olivia) == ["A1", "A2"]
    assert refs(bob) == ["B1"]
    assert refs(nina) == ["A1", "A2", "B1"]


def test_offer_of_another_provider_or_sibling_branch_is_404_everywhere(
    api_as, alice, bob, olivia, open_offers, offer_a1, offer_b1, market, other_ward
):
    from brokerage.distribution import distribute_packages
    from tests.factories import PackageFactory

    PackageFactory(ward=other_ward, status="queued")
    distribute_packages(as_of=timezone.now())
    sibling = Offer.objects.get(branch=market["a2"])
    answer = {"response": "offer_made", "start_date": "2026-03-09"}
    for user, foreign in ((bob, offer_a1), (alice, offer_b1), (alice, sibling), (olivia, offer_b1)):
        client = api_as(user)
        assert client.get(f"/api/v1/offers/{foreign.pk}/").status_code == 404
        assert (
            client.post(f"/api/v1/offers/{foreign.pk}/respond/", answer, format="json").status_code
            == 404
        )
    assert api_as(olivia).get(f"/api/v1/offers/{sibling.pk}/").status_code == 200


def test_offer_shape_carries_no_personal_details_before_award(api_as, alice, open_offers, offer_a1):
    body = api_as(alice).get(f"/api/v1/offers/{offer_a1.pk}/").json()
    assert set(body) >= {
        "id",
        "package",
        "provider",
        "branch",
        "sent_at",
        "deadline",
        "placement_response",
        "outcome",
        "responded_at",
        "offered_start_date",
        "reason",
        "note",
        "feedback",
    }
    assert set(body["package"]) >= {
        "reference",
        "ward",
        "postcode_district",
        "service_level",
        "hours_per_week",
        "urgency",
        "start_date",
        "carer_gender",
        "call_pattern",
        "needs_summary",
    }
    assert body["package"]["postcode_district"] == "PR1"
    assert "postcode" not in body["package"]
    assert body["person"] is None
    assert body["placement_response"] is None and body["outcome"] == "open"
    assert body["provider"] == {"ref": "PA", "name": "Amber Homecare Ltd"}


def test_respond_then_change_then_409_after_window(api_as, alice, open_offers, offer_a1):
    client = api_as(alice)
    url = f"/api/v1/offers/{offer_a1.pk}/respond/"
    made = client.post(
        url, {"response": "offer_made", "start_date": later(7), "note": "Nearby"}, format="json"
    )
    assert made.status_code == 200
    assert made.json()["placement_response"] == "offer_made" and made.json()[
        "offered_start_date"
    ] == later(7)
    declined = client.post(
        url, {"response": "unable_to_accept", "reason": "no_capacity"}, format="json"
    )
    assert declined.json()["placement_response"] == "unable_to_accept"
    assert client.post(url, {"response": "unable_to_accept"}, format="json").status_code == 400
    Offer.objects.filter(pk=offer_a1.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    late = client.post(url, {"response": "offer_made", "start_date": later(7)}, format="json")
    assert late.status_code == 409
    assert "deadline" in late.json()["detail"]


def test_council_may_not_answer_for_a_provider(api_as, nina, open_offers, offer_a1):
    response = api_as(nina).post(
        f"/api/v1/offers/{offer_a1.pk}/respond/",
        {"response": "unable_to_accept", "reason": "needs"},
        format="json",
    )
    assert response.status_code == 403


def test_organisation_user_answers_for_any_of_its_branches(api_as, olivia, open_offers, offer_a1):
    response = api_as(olivia).post(
        f"/api/v1/offers/{offer_a1.pk}/respond/",
        {"response": "unable_to_accept", "reason": "call_times"},
        format="json",
    )
    assert response.status_code == 200


def test_shortlist_award_and_second_award_409(
    api_as, nina, alice, bob, open_offers, offer_a1, offer_b1
):
    api_as(alice).post(
        f"/api/v1/offers/{offer_a1.pk}/respond/",
        {"response": "offer_made", "start_date": later(20)},
        format="json",
    )
    api_as(bob).post(
        f"/api/v1/offers/{offer_b1.pk}/respond/",
        {"response": "offer_made", "start_date": later(10)},
        format="json",
    )
    client = api_as(nina)
    package = offer_a1.package.pk
    shortlist = client.get(f"/api/v1/packages/{package}/shortlist/").json()
    assert [row["offer"] for row in shortlist] == [offer_b1.pk, offer_a1.pk]
    assert {"offer", "provider", "branch", "score", "parts"} <= set(shortlist[0])
    award = client.post(
        f"/api/v1/packages/{package}/award/",
        {"offer": offer_b1.pk, "feedback": "An earlier start was offered"},
        format="json",
    )
    assert award.status_code == 200 and award.json()["status"] == "awarded"
    again = client.post(f"/api/v1/packages/{package}/award/", {"offer": offer_a1.pk}, format="json")
    assert again.status_code == 409
    loser = api_as(alice).get(f"/api/v1/offers/{offer_a1.pk}/").json()
    assert (loser["outcome"], loser["feedback"]) == ("not_awarded", "An earlier start was offered")
    winner = api_as(bob).get(f"/api/v1/offers/{offer_b1.pk}/").json()
    assert winner["outcome"] == "awarded"
    assert (
        winner["person"]["postcode"] == "PR1 4AB"
    )  # A3: the awarded provider now sees the details


def test_withdraw_and_cancel_endpoints(api_as, nina, bob, open_offers, offer_b1):
    client = api_as(nina)
    package = offer_b1.package.pk
    api_as(bob).post(
        f"/api/v1/offers/{offer_b1.pk}/respond/",
        {"response": "offer_made", "start_date": later(10)},
        format="json",
    )
    client.post(f"/api/v1/packages/{package}/award/", {"offer": offer_b1.pk}, format="json")
    assert (
        client.post(
            f"/api/v1/packages/{package}/withdraw/", {"reason": "x"}, format="json"
        ).status_code
        == 409
    )
    cancelled = client.post(
        f"/api/v1/packages/{package}/cancel/",
        {"reason": "Went into hospital", "date": str(timezone.localdate()), "doorstep": True},
        format="json",
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["claim_hours"] == 1.0


def test_offer_filters(api_as, nina, alice, open_offers, offer_a1, offer_b1):
    api_as(alice).post(
        f"/api/v1/offers/{offer_a1.pk}/respond/",
        {"response": "offer_made", "start_date": later(20)},
        format="json",
    )
    client = api_as(nina)
    assert client.get("/api/v1/offers/?placement_response=offer_made").json()["count"] == 1
    assert client.get("/api/v1/offers/?branch=B1").json()["count"] == 1
    assert client.get("/api/v1/offers/?package=PKG-1").json()["count"] == 2
    assert client.get("/api/v1/offers/?outcome=open&ward=E05012001").json()["count"] == 2
    assert client.get("/api/v1/offers/?sent_after=2026-03-03T00:00:00Z").json()["count"] == 0
    assert client.get("/api/v1/offers/?sent_before=2026-03-03T00:00:00Z").json()["count"] == 2


def test_offer_filters_read_offers_by_the_ids_a_reference_names(
    api_as, client, nina, alice, open_offers, offer_a1, offer_b1
):
    """Issue 13: a package, ward or branch reference is read as its ids first, and the offers by
    those ids (their own indexes), not through a join PostgreSQL walked every offer newest first
    for (1.3 s at 2M offers for a package reference that named none). References match whatever
    their case; one that names nothing lists nothing, on the inbox too (whose counts took the
    empty match for an error before)."""
    api = api_as(nina)
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/offers/?package=pkg-1").json()["count"] == 2
    page = [q["sql"] for q in queries.captured_queries if 'FROM "brokerage_offer"' in q["sql"]]
    assert page and all('"brokerage_offer"."package_id" IN (' in sql for sql in page)
    where = [sql.split(" WHERE ", 1)[-1] for sql in page]
    assert not any('"brokerage_package"."reference"' in clause for clause in where)
    assert api.get("/api/v1/offers/?branch=b1").json()["count"] == 1
    assert api.get("/api/v1/offers/?ward=e05012001").json()["count"] == 2
    for missing in ("package=PKG-NONE", "ward=E99999999", "branch=NOPE"):
        assert api.get(f"/api/v1/offers/?{missing}").json()["count"] == 0
        for user in (nina, alice):
            client.force_login(user)
            for path in ("/offers/", "/offers/history/", "/offers/history.csv"):
                response = client.get(f"{path}?{missing}")
                assert response.status_code == 200, (path, missing)
    client.force_login(alice)
    assert "PKG-1" in client.get("/offers/?package=pkg-1").content.decode()


def test_export_csv_is_the_callers_whole_history(
    api_as, alice, nina, open_offers, offer_a1, offer_b1
):
    import csv
    import io

    response = api_as(alice).get("/api/v1/offers/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["branch_ref"] for r in rows] == ["A1"]
    assert {"placement_response", "outcome"} <= set(rows[0])
    council = api_as(nina).get("/api/v1/offers/export.csv")
    assert len(list(csv.reader(io.StringIO(b"".join(council.streaming_content).decode())))) == 3


def test_editing_a_sent_package_is_409_and_bad_edit_is_400(
    api_as, nina, offered_package, queued_package
):
    client = api_as(nina)
    assert (
        client.patch(
            f"/api/v1/packages/{offered_package.pk}/", {"hours_per_week": 12}, format="json"
        ).status_code
        == 409
    )
    from tests.factories import PackageFactory

    draft = PackageFactory(ward=offered_package.ward)
    bad = client.patch(f"/api/v1/packages/{draft.pk}/", {"hours_per_week": 0}, format="json")
    assert bad.status_code == 400 and "hours_per_week" in bad.json()


def test_csv_downloads_answer_accept_text_csv(api_as, alice, nina, open_offers, market, other_ward):
    """A provider system asking for text/csv gets the CSV, not 406."""
    from wards.services import register_change

    assert register_change(add=[(market["a1"], other_ward)], actor=nina).number == 1
    for url in ("/api/v1/offers/export.csv", "/api/v1/register/versions/1/export.csv"):
        response = api_as(alice).get(url, HTTP_ACCEPT="text/csv")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/csv")
