"""K10 under real concurrency (PostgreSQL): two users of a provider challenging the same No Response
at the same instant make one challenge, and the other gets a clear refusal (409); two contract
managers deciding one challenge at the same instant decide it once, with one e-mail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from brokerage.models import Offer
from kpi.models import Challenge, ChallengeStatus
from notifications.models import Notification, NotificationKind
from providers.models import Role
from tests.brokerage.test_concurrency import run_at_once
from tests.factories import BranchFactory, PackageFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 3


def _missed(branch, i):
    """A No Response sent two days ago: inside its challenge window whatever today is."""
    sent = timezone.now() - timedelta(days=2)
    return Offer.objects.create(
        package=PackageFactory(reference=f"ASC-RACE-{i}", status="offered"),
        branch=branch,
        provider=branch.provider,
        sent_at=sent,
        deadline=sent + timedelta(days=1),
        placement_response="no_response",
    )


@pytest.fixture
def people(api_as):
    branch = BranchFactory()
    alice = UserFactory(
        role=Role.PROVIDER_BRANCH, provider=branch.provider, branch=branch, email="a@p.example"
    )
    olivia = UserFactory(role=Role.PROVIDER_ORG, provider=branch.provider, email="o@p.example")
    carl = UserFactory(role=Role.CONTRACT_MANAGER, email="carl@council.example")
    cora = UserFactory(role=Role.CONTRACT_MANAGER, email="cora@council.example")
    return branch, [api_as(alice), api_as(olivia)], [api_as(carl), api_as(cora)]


def test_two_challenges_of_one_offer_at_once_make_one_and_refuse_the_other(people):
    branch, providers, _ = people
    for i in range(ROUNDS):
        offer = _missed(branch, i)
        url = f"/api/v1/offers/{offer.pk}/challenge/"
        responses = run_at_once(
            2, lambda n, url=url: providers[n].post(url, {"reason": f"Phoned ({n})"}, format="json")
        )
        assert sorted(r.status_code for r in responses) == [201, 409], responses
        (made,) = [r.json() for r in responses if r.status_code == 201]
        (refused,) = [r.json() for r in responses if r.status_code == 409]
        assert "already been challenged" in refused["detail"]
        (challenge,) = Challenge.objects.filter(offer=offer)
        assert (challenge.pk, challenge.status, challenge.reason) == (
            made["id"],
            ChallengeStatus.OPEN,
            made["reason"],
        )


def test_two_contract_managers_deciding_at_once_decide_once_with_one_email(people):
    branch, providers, managers = people
    for i in range(ROUNDS):
        offer = _missed(branch, i)
        made = providers[0].post(
            f"/api/v1/offers/{offer.pk}/challenge/", {"reason": "Phoned"}, format="json"
        )
        assert made.status_code == 201, made.content
        url = f"/api/v1/challenges/{made.json()['id']}/"
        mail.outbox.clear()
        # One upholds, the other rejects, at the same instant: whichever goes first decides.
        responses = run_at_once(
            2,
            lambda n, url=url: managers[n].post(
                url + ("uphold/" if n == 0 else "reject/"), {"comment": f"From {n}"}, format="json"
            ),
        )
        assert sorted(r.status_code for r in responses) == [200, 409], responses
        (decided,) = [r.json() for r in responses if r.status_code == 200]
        (refused,) = [r.json() for r in responses if r.status_code == 409]
        assert "already" in refused["detail"]
        challenge = Challenge.objects.get(pk=decided["id"])
        assert challenge.status == decided["status"]
        assert challenge.comment == ("From 0" if decided["status"] == "upheld" else "From 1")
        emails = Notification.objects.about("kpi", "challenge", challenge.pk)
        assert [e.kind for e in emails] == [NotificationKind.CHALLENGE_DECISION]
        assert len(mail.outbox) == 1
        assert decided["status"] in mail.outbox[0].subject
