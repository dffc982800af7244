"""K10 pages: the challenge from the offer page and the My KPIs drill-down, the contract managers'
queue with each offer's record and its decision, the K1 pages with the exclusions and their
count; and P12 on the package page (navigators see which covering branches declared no capacity)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from brokerage.models import CapacityDeclaration, Offer
from kpi.models import Challenge
from kpi.services import challenge_decide, challenge_make
from notifications.models import Notification
from providers.models import Role
from tests.factories import (
    BranchFactory,
    CoverageFactory,
    PackageFactory,
    ProviderFactory,
    UserFactory,
)

from .conftest import at

SENT = at(2026, 5, 5, 11)
NOW = at(2026, 7, 2, 9)


@pytest.fixture(autouse=True)
def frozen():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def missed(make_offer, branch_a1, branch_b1):
    """Provider A: one Offer Made and one No Response (`missed`) in April-June 2026."""
    make_offer(branch_a1, SENT, "offer_made")
    make_offer(branch_b1, SENT, "offer_made")
    return make_offer(branch_a1, SENT, "no_response", viewed_at=at(2026, 5, 5, 14, 30))


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- the provider challenges ----------------------------------------------------------------------


def test_the_offer_page_offers_the_challenge_to_its_provider_only(client, missed, alice, nina):
    client.force_login(alice)
    page = _page(client, f"/offers/{missed.pk}/")
    assert "Challenge this No Response" in page
    assert f"/kpi/offers/{missed.pk}/challenge/" in page
    assert "until 28 July 2026" in page
    client.force_login(nina)
    assert "Challenge this No Response" not in _page(client, f"/offers/{missed.pk}/")


def test_an_answered_offer_page_offers_no_challenge(client, make_offer, branch_a1, alice):
    offer = make_offer(branch_a1, SENT, "offer_made")
    client.force_login(alice)
    assert "Challenge this No Response" not in _page(client, f"/offers/{offer.pk}/")


def test_the_challenge_form_sends_it_and_the_offer_page_shows_it(client, missed, alice):
    client.force_login(alice)
    url = f"/kpi/offers/{missed.pk}/challenge/"
    form = _page(client, url)
    assert "Why is this No Response wrong?" in form
    assert "14:30, 5 May 2026" in form  # when the branch first opened it (P11)
    response = client.post(url, {"reason": "We phoned the team at 15:00 to offer"})
    assert response.status_code == 302
    assert response["Location"] == f"/offers/{missed.pk}/#challenge"
    challenge = Challenge.objects.get()
    assert (challenge.offer_id, challenge.status, challenge.made_by) == (missed.pk, "open", alice)
    page = _page(client, f"/offers/{missed.pk}/")
    assert "Awaiting decision" in page
    assert "We phoned the team at 15:00 to offer" in page
    assert "Challenge this No Response</a>" not in page


def test_an_empty_reason_is_an_error_and_nothing_is_saved(client, missed, alice):
    client.force_login(alice)
    response = client.post(f"/kpi/offers/{missed.pk}/challenge/", {"reason": "  "})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert "govuk-error-summary" in page and "Say why this No Response is wrong" in page
    assert not Challenge.objects.exists()


def test_the_form_says_why_an_offer_cannot_be_challenged(client, make_offer, branch_a1, alice):
    offer = make_offer(branch_a1, SENT, "unable_to_accept", reason="needs")
    client.force_login(alice)
    page = _page(client, f"/kpi/offers/{offer.pk}/challenge/")
    assert "Only a No Response can be challenged: this offer is Unable to Accept." in page
    assert "Send the challenge" not in page
    assert "<title>Error: " not in page
    response = client.post(f"/kpi/offers/{offer.pk}/challenge/", {"reason": "x"})
    assert "<title>Error: " in response.content.decode()
    assert not Challenge.objects.exists()


def test_another_provider_and_the_sibling_branch_get_404(client, missed, bob, branch_a2, nina):
    amy = UserFactory(
        username="amy", role=Role.PROVIDER_BRANCH, provider=branch_a2.provider, branch=branch_a2
    )
    for outsider in (bob, amy):
        client.force_login(outsider)
        assert client.get(f"/kpi/offers/{missed.pk}/challenge/").status_code == 404
        assert (
            client.post(f"/kpi/offers/{missed.pk}/challenge/", {"reason": "x"}).status_code == 404
        )
    client.force_login(nina)
    assert client.get(f"/kpi/offers/{missed.pk}/challenge/").status_code == 403
    assert not Challenge.objects.exists()


# --- the contract managers' queue ------------------------------------------------------------------


def test_the_queue_shows_the_offers_record_and_decides(client, missed, alice, carl):
    challenge = challenge_make(actor=alice, offer=missed, reason="Never got the e-mail")
    client.force_login(carl)
    page = _page(client, "/kpi/challenges/")
    assert "Never got the e-mail" in page
    assert "No e-mail recorded" in page  # delivered (P7)
    assert "14:30, 5 May 2026" in page  # seen (P11)
    assert "Not answered by the deadline" in page  # answered
    response = client.post(
        f"/kpi/challenges/{challenge.pk}/decide/",
        {
            f"c{challenge.pk}-comment": "The outbox shows no e-mail",
            f"c{challenge.pk}-decision": "uphold",
        },
    )
    assert response.status_code == 302
    challenge.refresh_from_db()
    assert challenge.status == "upheld"
    assert Notification.objects.about("kpi", "challenge", challenge.pk).count() == 1
    assert "No challenge is waiting for a decision" in _page(client, "/kpi/challenges/")
    upheld = _page(client, "/kpi/challenges/?status=upheld")
    assert "The outbox shows no e-mail" in upheld and "50.0% before, 100.0% after" in upheld


def test_a_decision_without_a_comment_is_an_error(client, missed, alice, carl):
    challenge = challenge_make(actor=alice, offer=missed, reason="Phoned")
    client.force_login(carl)
    response = client.post(
        f"/kpi/challenges/{challenge.pk}/decide/", {f"c{challenge.pk}-decision": "reject"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert f'href="#id_c{challenge.pk}-comment"' in page
    challenge.refresh_from_db()
    assert challenge.status == "open"


def test_deciding_twice_on_the_page_is_refused(client, missed, alice, carl):
    challenge = challenge_make(actor=alice, offer=missed, reason="Phoned")
    challenge_decide(actor=carl, challenge=challenge, uphold=False, comment="No call logged")
    client.force_login(carl)
    response = client.post(
        f"/kpi/challenges/{challenge.pk}/decide/",
        {f"c{challenge.pk}-comment": "Yes", f"c{challenge.pk}-decision": "uphold"},
    )
    assert "This challenge was already rejected" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.status == "rejected"


def test_only_contract_managers_decide_on_the_page(client, missed, alice, olivia, nina):
    challenge = challenge_make(actor=alice, offer=missed, reason="Phoned")
    for user in (alice, olivia, nina):
        client.force_login(user)
        response = client.post(
            f"/kpi/challenges/{challenge.pk}/decide/",
            {f"c{challenge.pk}-comment": "x", f"c{challenge.pk}-decision": "uphold"},
        )
        assert response.status_code == 403
    challenge.refresh_from_db()
    assert challenge.status == "open"


def test_providers_see_their_own_challenges_only(client, missed, alice, olivia, bob):
    challenge_make(actor=alice, offer=missed, reason="The e-mail never arrived")
    client.force_login(olivia)
    assert "The e-mail never arrived" in _page(client, "/kpi/challenges/")
    client.force_login(bob)
    page = _page(client, "/kpi/challenges/")
    assert "The e-mail never arrived" not in page and "Amber" not in page


def test_the_queue_query_count_does_not_grow(
    client, make_offer, carl, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            branch = BranchFactory(provider=ProviderFactory())
            user = UserFactory(role=Role.PROVIDER_BRANCH, provider=branch.provider, branch=branch)
            offer = make_offer(branch, SENT, "no_response")
            challenge_make(actor=user, offer=offer, reason="Phoned")

    add(2)
    client.force_login(carl)
    with django_assert_max_num_queries(20) as small:
        assert client.get("/kpi/challenges/").status_code == 200
    add(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/kpi/challenges/").status_code == 200


# --- every K1 view shows the exclusions -------------------------------------------------------------


@pytest.fixture
def upheld(missed, alice, carl):
    challenge = challenge_make(actor=alice, offer=missed, reason="Phoned")
    return challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Agreed")


def test_my_kpis_and_its_drill_down_show_the_excluded_offer(client, upheld, missed, olivia):
    client.force_login(olivia)
    page = _page(client, "/kpi/my/?period=2026-27-Q1")
    assert "Excluded after challenge" in page
    assert "/kpi/my/offers/?period=2026-27-Q1&amp;figure=excluded" in page
    excluded = _page(client, "/kpi/my/offers/?period=2026-27-Q1&figure=excluded")
    assert missed.package.reference in excluded and "Upheld" in excluded
    no_response = _page(client, "/kpi/my/offers/?period=2026-27-Q1&figure=no_response")
    assert missed.package.reference not in no_response


def test_the_drill_down_links_a_no_response_to_its_challenge(client, missed, make_offer, alice):
    client.force_login(alice)
    page = _page(client, "/kpi/my/offers/?period=2026-27-Q1&figure=no_response")
    assert f"/kpi/offers/{missed.pk}/challenge/" in page


def test_the_dashboard_shows_the_count_excluded(client, upheld, carl):
    client.force_login(carl)
    page = _page(client, "/kpi/dashboard/")
    assert "Excluded after challenge" in page
    assert "/kpi/challenges/" in page


def test_every_k1_view_shows_the_rate_with_its_exclusions_and_their_count(
    client, api_as, make_offer, missed, branch_a1, alice, olivia, carl
):
    """K10: A has one Offer Made and two No Responses in April-June 2026; one is upheld, so A's
    rate is 1/2 (high risk, still on the risk list) with 1 excluded after challenge, and every K1
    view (pages, API, CSVs) says both."""
    make_offer(branch_a1, SENT, "no_response")
    challenge = challenge_make(actor=alice, offer=missed, reason="Phoned")
    challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Agreed")

    def table(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return {r["provider_ref"]: r for r in csv.DictReader(io.StringIO(response.text))}

    client.force_login(carl)
    rates = table("/kpi/response-rates.csv?period=2026-27-Q1")
    assert (rates["PA"]["rate"], rates["PA"]["excluded_after_challenge"]) == ("0.5", "1")
    assert rates[""]["excluded_after_challenge"] == "1"  # the market's row
    matrix = table("/kpi/dashboard/response-rates.csv")
    assert (matrix["PA"]["2026-27-Q1"], matrix["PA"]["2026-27-Q1 excluded_after_challenge"]) == (
        "0.5000",
        "1",
    )
    assert matrix["PB"]["2026-27-Q1 excluded_after_challenge"] == "0"
    assert matrix[""]["2026-27-Q1 excluded_after_challenge"] == "1"
    assert "1 excluded after challenge" in _page(client, "/kpi/dashboard/")
    risk = _page(client, "/kpi/risk/")
    # The last 90 days and April-June 2026 (the last ended quarter) each say it.
    assert risk.count("50.0%") == 2 and risk.count("1 excluded after challenge") == 2
    detail = _page(client, "/kpi/risk/PA/")
    assert re.search(r"2026-27-Q1</th>.*?50\.0%.*?numeric\">1</td></tr>", detail)
    body = api_as(carl).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    (row,) = [r for r in body["results"] if r["provider"]["ref"] == "PA"]
    assert (row["rate"], row["excluded_after_challenge"]) == (0.5, 1)
    client.force_login(olivia)
    mine = _page(client, "/kpi/my/?period=2026-27-Q1")
    assert "Your response rate, April to June 2026, with 1 offer excluded after challenge" in mine


def test_the_offer_page_says_the_offer_is_excluded(client, upheld, missed, alice):
    client.force_login(alice)
    page = _page(client, f"/offers/{missed.pk}/")
    assert "Excluded after challenge" in page
    assert "50.0% before the decision, 100.0% after it" in page
    assert Offer.objects.filter(pk=missed.pk).exists()


# --- P12: declared capacity on the package page ---------------------------------------------------


def test_the_package_page_shows_which_covering_branches_declared_no_capacity(
    client, nina, ward, branch_a1, branch_b1, branch_a2
):
    CoverageFactory(branch=branch_a1, ward=ward)
    CoverageFactory(branch=branch_b1, ward=ward)
    until = timezone.localdate() + timedelta(days=10)
    CapacityDeclaration.objects.create(
        branch=branch_b1, until=until, note="Winter pressures", declared_at=NOW - timedelta(days=1)
    )
    CapacityDeclaration.objects.create(  # a2 does not cover the ward
        branch=branch_a2, until=until, note="Not shown here", declared_at=NOW - timedelta(days=1)
    )
    CapacityDeclaration.objects.create(  # lifted: a1 can take packages again
        branch=branch_a1,
        until=until,
        note="Lifted already",
        declared_at=NOW - timedelta(days=2),
        lifted_at=NOW - timedelta(days=1),
    )
    package = PackageFactory(ward=ward, status="queued")
    client.force_login(nina)
    page = _page(client, f"/packages/{package.pk}/")
    assert "1 of the 2 branches covering Fishwick has declared no capacity" in page
    assert "Lancaster" in page and "Birch Care Services" in page
    assert f"{until:%-d %B %Y}" in page and "Winter pressures" in page
    assert "Not shown here" not in page and "Lifted already" not in page


def test_the_package_page_says_when_no_covering_branch_declared(client, nina, ward, branch_a1):
    CoverageFactory(branch=branch_a1, ward=ward)
    package = PackageFactory(ward=ward, status="queued")
    client.force_login(nina)
    page = _page(client, f"/packages/{package.pk}/")
    assert "None of the 1 branch covering Fishwick has declared no capacity" in page
