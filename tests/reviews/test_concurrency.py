"""R3 under real concurrency: two reviewers signing off the same review at once change the
package's hours once (threads with their own PostgreSQL connections, STYLE 13)."""

from decimal import Decimal

import pytest

from brokerage.models import HoursChange
from core.models import AuditEvent
from providers.models import Role
from reviews import services
from reviews.models import Review, ReviewStatus
from tests.brokerage.test_concurrency import run_at_once
from tests.factories import BranchFactory, UserFactory

from .conftest import award_to

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_R3_two_reviewers_signing_off_at_once_change_the_hours_once():
    branch = BranchFactory()
    provider_user = UserFactory(role=Role.PROVIDER_BRANCH, provider=branch.provider, branch=branch)
    reviewers = [UserFactory(role=Role.REVIEWER) for _ in range(2)]
    package = award_to(branch, hours="10")
    review = services.review_delegate(actor=reviewers[0], package=package)
    answers = services.review_answers(review, proposed_hours="12.5", outcomes="More help.")
    services.review_submit(actor=provider_user, review=review, answers=answers)

    results = run_at_once(2, lambda i: services.review_sign_off(actor=reviewers[i], review=review))
    signed = [r for r in results if isinstance(r, Review)]
    refused = [r for r in results if isinstance(r, services.ReviewError)]
    assert (len(signed), len(refused)) == (1, 1), results
    assert "already been signed off" in str(refused[0])
    package.refresh_from_db()
    assert package.hours_per_week == Decimal("12.5")
    assert HoursChange.objects.filter(package=package).count() == 1
    assert AuditEvent.objects.filter(action="package.hours").count() == 1
    review.refresh_from_db()
    assert review.status == ReviewStatus.SIGNED_OFF
