"""K10, the right of reply, on hand-made cases: the window (the 28th and the 29th day after the
quarter), once per offer, only a No Response, A1 (branch, sibling branch, organisation, another
provider), the decision (uphold changes K1 and its count, reject does not), its one e-mail, the
audit trail, and K1 still one grouped query whatever the data."""

from __future__ import annotations

import csv
import io
from unittest import mock

import pytest

from brokerage.models import Offer
from core.errors import InvalidInput, NotAllowed, NotFound
from core.models import AuditEvent, PortalSettings
from kpi.models import Challenge, ChallengeStatus
from kpi.quarters import Quarter
from kpi.selectors import RateWindow, offers_behind, provider_rates
from kpi.services import KpiError, challenge_decide, challenge_last_day, challenge_make
from kpi.services.challenges import challenge_email
from notifications.models import Notification, NotificationKind
from notifications.outbox import notifications_enqueue
from providers.models import Role
from tests.factories import BranchFactory, ProviderFactory, UserFactory

from .conftest import at

Q1 = Quarter.parse("2026-27-Q1")  # April to June 2026
SENT = at(2026, 5, 5, 11)
IN_TIME = at(2026, 7, 2, 9)


@pytest.fixture
def frozen_in_time():
    """Now is 2 July 2026, within the window for offers sent in April-June 2026."""
    with mock.patch("django.utils.timezone.now", return_value=IN_TIME):
        yield


@pytest.fixture
def amy(branch_a2):
    """A branch user of provider A's other branch (a2): a sibling of Alice's branch."""
    return UserFactory(
        username="amy", role=Role.PROVIDER_BRANCH, provider=branch_a2.provider, branch=branch_a2
    )


@pytest.fixture
def a_market(make_offer, branch_a1, branch_b1):
    """Q1: provider A (a1) 3 answered and 1 No Response (`missed`); provider B 1 answered, 1 No
    Response. A's rate is 3/4, B's 1/2."""
    for response in ("offer_made", "unable_to_accept", "unable_to_accept"):
        make_offer(branch_a1, SENT, response, reason="needs" if response != "offer_made" else "")
    missed = make_offer(branch_a1, SENT, "no_response")
    make_offer(branch_b1, SENT, "offer_made")
    make_offer(branch_b1, SENT, "no_response")
    return missed


def _rows():
    return {r.provider.ref: r for r in provider_rates(RateWindow.for_quarter(Q1))}


# --- the window --------------------------------------------------------------------------------


def test_the_last_day_is_28_days_after_the_quarter_ends(a_market):
    """K10: sent in April-June 2026 (ends 30 June): challengeable until 28 July inclusive."""
    assert str(challenge_last_day(a_market)) == "2026-07-28"


def test_a_challenge_on_the_28th_day_after_the_quarter_is_taken(a_market, alice):
    challenge = challenge_make(
        actor=alice, offer=a_market, reason="Never got the e-mail", now=at(2026, 7, 28, 23, 59)
    )
    assert challenge.status == ChallengeStatus.OPEN
    assert challenge.quarter == "2026-27-Q1"


def test_a_challenge_on_the_29th_day_after_the_quarter_is_refused(a_market, alice):
    with pytest.raises(KpiError, match="ended on 28 July 2026"):
        challenge_make(
            actor=alice, offer=a_market, reason="Never got the e-mail", now=at(2026, 7, 29, 0, 0)
        )
    assert not Challenge.objects.exists()


def test_the_window_over_the_api_28th_and_29th_day(api_as, alice, olivia, a_market, make_offer):
    """K10 over the API: 201 on 28 July (London), 409 on 29 July."""
    other = make_offer(a_market.branch, SENT, "no_response")
    url = f"/api/v1/offers/{a_market.pk}/challenge/"
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 7, 28, 18)):
        response = api_as(alice).post(url, {"reason": "Answered by phone"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("offer", "status", "reason")} == {
        "offer": a_market.pk,
        "status": "open",
        "reason": "Answered by phone",
    }
    assert body["id"] == Challenge.objects.get().pk
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 7, 29, 8)):
        late = api_as(olivia).post(
            f"/api/v1/offers/{other.pk}/challenge/", {"reason": "Phoned"}, format="json"
        )
    assert late.status_code == 409
    assert "ended on 28 July 2026" in late.json()["detail"]


# --- only a No Response, once ---------------------------------------------------------------------


def test_a_second_challenge_on_the_same_offer_is_refused(a_market, alice, olivia):
    challenge_make(actor=alice, offer=a_market, reason="Never got it", now=IN_TIME)
    with pytest.raises(KpiError, match="already been challenged"):
        challenge_make(actor=olivia, offer=a_market, reason="Again", now=IN_TIME)
    assert Challenge.objects.count() == 1


def test_a_second_challenge_over_the_api_is_409(api_as, alice, a_market, frozen_in_time):
    url = f"/api/v1/offers/{a_market.pk}/challenge/"
    assert api_as(alice).post(url, {"reason": "Never got it"}, format="json").status_code == 201
    again = api_as(alice).post(url, {"reason": "Never got it"}, format="json")
    assert again.status_code == 409
    assert "already been challenged" in again.json()["detail"]


@pytest.mark.parametrize(
    "response", ["offer_made", "unable_to_accept", "closed_before_response", None]
)
def test_only_a_no_response_can_be_challenged(make_offer, branch_a1, alice, response):
    offer = make_offer(branch_a1, SENT, response, reason="needs" if response else "")
    with pytest.raises(KpiError, match="Only a No Response can be challenged"):
        challenge_make(actor=alice, offer=offer, reason="We answered", now=IN_TIME)
    assert not Challenge.objects.exists()


def test_an_answered_offer_over_the_api_is_409(
    api_as, alice, make_offer, branch_a1, frozen_in_time
):
    offer = make_offer(branch_a1, SENT, "offer_made")
    response = api_as(alice).post(
        f"/api/v1/offers/{offer.pk}/challenge/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert "Offer Made" in response.json()["detail"]


def test_a_challenge_needs_a_reason(api_as, alice, a_market, frozen_in_time):
    with pytest.raises(InvalidInput) as refused:
        challenge_make(actor=alice, offer=a_market, reason="   ", now=IN_TIME)
    assert set(refused.value.errors) == {"reason"}
    response = api_as(alice).post(
        f"/api/v1/offers/{a_market.pk}/challenge/", {"reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"reason"}
    assert not Challenge.objects.exists()


# --- A1: who may challenge and see it ------------------------------------------------------------


def test_the_branch_and_its_organisation_may_challenge_others_may_not(
    a_market, alice, amy, olivia, bob, brenda, nina, carl
):
    """K10, A1: the sibling branch and the other provider are told there is no such offer; council
    roles may not challenge at all."""
    for outsider in (amy, bob, brenda):
        with pytest.raises(NotFound):
            challenge_make(actor=outsider, offer=a_market, reason="x", now=IN_TIME)
    for council in (nina, carl):
        with pytest.raises(NotAllowed):
            challenge_make(actor=council, offer=a_market, reason="x", now=IN_TIME)
    assert challenge_make(actor=olivia, offer=a_market, reason="Phoned", now=IN_TIME).pk


def test_api_scoping_of_challenge_and_list(
    api_as, a_market, alice, amy, olivia, bob, brenda, nina, carl, frozen_in_time
):
    url = f"/api/v1/offers/{a_market.pk}/challenge/"
    for outsider in (amy, bob, brenda):
        assert api_as(outsider).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api_as(nina).post(url, {"reason": "x"}, format="json").status_code == 403
    created = api_as(alice).post(url, {"reason": "Never got it"}, format="json").json()
    for seer in (alice, olivia, nina, carl):
        listed = api_as(seer).get("/api/v1/challenges/").json()
        assert [c["id"] for c in listed["results"]] == [created["id"]], seer.username
        detail = api_as(seer).get(f"/api/v1/challenges/{created['id']}/")
        assert detail.status_code == 200
    for outsider in (amy, bob, brenda):
        assert api_as(outsider).get("/api/v1/challenges/").json()["results"] == []
        assert api_as(outsider).get(f"/api/v1/challenges/{created['id']}/").status_code == 404


def test_the_list_carries_the_offers_record(api_as, carl, alice, a_market, frozen_in_time):
    """The delivered / seen / answered record beside the challenge (P7, P11)."""
    Offer.objects.filter(pk=a_market.pk).update(viewed_at=at(2026, 5, 5, 12))
    challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    (row,) = api_as(carl).get("/api/v1/challenges/?status=open").json()["results"]
    assert row["provider"] == {"ref": "PA", "name": "Amber Homecare Ltd"}
    assert row["offer_record"]["placement_response"] == "no_response"
    assert row["offer_record"]["viewed_at"].startswith("2026-05-05T12:00")
    assert row["offer_record"]["email_state"] is None  # no offer e-mail recorded for it
    assert row["offer_record"]["responded_at"] is None
    assert api_as(carl).get("/api/v1/challenges/?status=upheld").json()["results"] == []


# --- the decision -------------------------------------------------------------------------------


def test_uphold_leaves_the_offer_out_of_k1_and_counts_it(a_market, alice, carl):
    """K10: A goes from 3/4 to 3/3, with one excluded after challenge; the offer is kept."""
    before = _rows()["PA"]
    assert (before.offers, before.responded, before.excluded) == (4, 3, 0)
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    assert _rows()["PA"].offers == 4  # an open challenge changes nothing
    challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Phone log checked")
    after = _rows()["PA"]
    assert (after.offers, after.responded, after.no_response, after.excluded) == (3, 3, 0, 1)
    assert after.rate == 1.0
    assert _rows()["PB"].excluded == 0
    challenge.refresh_from_db()
    assert (challenge.status, challenge.rate_before, challenge.rate_after) == (
        "upheld",
        pytest.approx(0.75),
        pytest.approx(1),
    )
    assert Offer.objects.filter(pk=a_market.pk, placement_response="no_response").exists()


def test_reject_changes_nothing_in_k1(a_market, alice, carl):
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    challenge_decide(actor=carl, challenge=challenge, uphold=False, comment="No record of a call")
    a = _rows()["PA"]
    assert (a.offers, a.responded, a.excluded, a.rate) == (4, 3, 0, 0.75)
    challenge.refresh_from_db()
    assert challenge.status == "rejected"
    assert challenge.rate_before == challenge.rate_after == pytest.approx(0.75)


def test_the_drill_down_lists_the_excluded_offer_apart(a_market, alice, carl):
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Agreed")
    period = RateWindow.for_quarter(Q1)
    assert list(offers_behind(alice, period, "excluded")) == [a_market]
    assert a_market not in offers_behind(alice, period, "no_response")
    assert offers_behind(alice, period, "offers").count() == 3


def test_api_rates_and_csv_show_the_exclusion_and_its_count(client, api_as, a_market, alice, carl):
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    body = api_as(carl).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    assert {r["provider"]["ref"]: r["excluded_after_challenge"] for r in body["results"]} == {
        "PA": 0,
        "PB": 0,
    }
    response = api_as(carl).post(
        f"/api/v1/challenges/{challenge.pk}/uphold/", {"comment": "Agreed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "upheld"
    assert response.json()["excluded"] is True
    body = api_as(carl).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    rows = {r["provider"]["ref"]: r for r in body["results"]}
    assert {k: rows["PA"][k] for k in ("offers", "no_response", "rate")} == {
        "offers": 3,
        "no_response": 0,
        "rate": 1.0,
    }
    assert rows["PA"]["excluded_after_challenge"] == 1
    assert body["market"]["excluded_after_challenge"] == 1
    own = api_as(alice).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    assert [r["excluded_after_challenge"] for r in own["results"]] == [1]
    client.force_login(carl)
    text = client.get("/kpi/response-rates.csv?period=2026-27-Q1").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    by_ref = {r["provider_ref"]: r for r in table}
    assert by_ref["PA"]["excluded_after_challenge"] == "1"
    assert by_ref["PB"]["excluded_after_challenge"] == "0"
    assert by_ref[""]["excluded_after_challenge"] == "1"  # the market's row


def test_deciding_twice_is_409_and_needs_a_comment(api_as, a_market, alice, carl, adam):
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    url = f"/api/v1/challenges/{challenge.pk}/"
    missing = api_as(carl).post(url + "uphold/", {"comment": " "}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"comment"}
    assert api_as(carl).post(url + "reject/", {"comment": "No"}, format="json").status_code == 200
    again = api_as(adam).post(url + "uphold/", {"comment": "Yes"}, format="json")
    assert again.status_code == 409
    assert "already rejected" in again.json()["detail"]
    challenge.refresh_from_db()
    assert challenge.status == "rejected"


def test_only_contract_managers_decide(api_as, a_market, alice, olivia, nina, bob):
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    for user in (alice, olivia, nina, bob):
        response = api_as(user).post(
            f"/api/v1/challenges/{challenge.pk}/uphold/", {"comment": "x"}, format="json"
        )
        assert response.status_code == 403, user.username
        with pytest.raises(NotAllowed):
            challenge_decide(actor=user, challenge=challenge, uphold=True, comment="x")
    challenge.refresh_from_db()
    assert challenge.status == "open"


# --- the e-mail and the audit trail -------------------------------------------------------------


def test_the_decision_e_mail_is_recorded_once(
    a_market, alice, carl, django_capture_on_commit_callbacks
):
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    with django_capture_on_commit_callbacks(execute=True):
        challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Phone log checked")
    emails = Notification.objects.about("kpi", "challenge", challenge.pk)
    (email,) = emails
    assert email.kind == NotificationKind.CHALLENGE_DECISION
    assert (email.provider_id, email.branch_id) == (a_market.provider_id, a_market.branch_id)
    assert set(email.recipients) == {a_market.branch.notification_email, alice.email}
    assert "upheld" in email.subject
    assert "75.0% before the decision, 100.0% after it" in email.body
    assert "Phone log checked" in email.body
    challenge.refresh_from_db()
    assert notifications_enqueue([challenge_email(challenge)]) == []  # recorded once
    with pytest.raises(KpiError):
        challenge_decide(actor=carl, challenge=challenge, uphold=False, comment="Changed my mind")
    assert emails.count() == 1
    # The branch sees it among its e-mails (A1), another provider does not.
    assert Notification.objects.visible_to(alice).filter(pk=email.pk).exists()


def test_every_step_is_audited(a_market, alice, carl):
    challenge = challenge_make(actor=alice, offer=a_market, reason="Phoned", now=IN_TIME)
    challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Agreed")
    events = AuditEvent.objects.filter(object_type="kpi.challenge", object_id=str(challenge.pk))
    assert [(e.action, e.actor_label) for e in events.order_by("id")] == [
        ("kpi.challenge_made", "alice"),
        ("kpi.challenge_upheld", "carl"),
    ]
    decided = events.get(action="kpi.challenge_upheld")
    assert decided.before == {"status": "open", "rate": "0.7500"}
    assert decided.after["rate"] == "1.0000" and decided.after["excluded"] is True
    assert decided.reason == "Agreed"


# --- K1 stays one grouped query -------------------------------------------------------------------


def test_k1_query_count_does_not_grow_with_offers_or_challenges(
    a_market, alice, carl, make_offer, django_assert_max_num_queries
):
    """K1 reads aggregates in the database: no more queries for 22 providers with a challenge each
    than for 2 (the grouped counts and the providers; no query per offer or per challenge)."""
    rules = PortalSettings.load()
    period = RateWindow.for_quarter(Q1)
    with django_assert_max_num_queries(3) as small:
        provider_rates(period, rules=rules)
    for _ in range(20):
        branch = BranchFactory(provider=ProviderFactory())
        user = UserFactory(role=Role.PROVIDER_BRANCH, provider=branch.provider, branch=branch)
        offer = make_offer(branch, SENT, "no_response")
        make_offer(branch, SENT, "offer_made")
        challenge = challenge_make(actor=user, offer=offer, reason="Phoned", now=IN_TIME)
        challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Agreed")
    with django_assert_max_num_queries(len(small.captured_queries)):
        rows = provider_rates(period, rules=rules)
    assert len(rows) == 22
    assert sum(r.excluded for r in rows) == 20
