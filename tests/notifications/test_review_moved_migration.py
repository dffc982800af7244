"""L4: e-mails telling a provider a review moved to it, recorded before each move had its round
(one a provider until notifications 0010), get the round in which the package was awarded to
that provider, so the next move back to one of them is told again and none is told twice."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.migrating import latest, migrate, old_package

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("notifications", "0009_review_moved_once_per_provider"),
    ("reviews", "0001_initial"),
    ("brokerage", "0027_open_offers_by_branch"),
]


def test_review_moved_emails_get_the_round_that_moved_the_review():
    apps = migrate(BEFORE)
    now = timezone.now()
    provider_a, branch_a, package = old_package(apps, date(2026, 12, 1))
    Provider, Branch = (
        apps.get_model("providers", "Provider"),
        apps.get_model("providers", "Branch"),
    )
    provider_b = Provider.objects.create(
        ref="PB", name="Birch Care", contact_email="b@birch.example.org", joined_on=date(2024, 1, 1)
    )
    branch_b = Branch.objects.create(
        provider=provider_b, ref="B1", name="Birch", notification_email="b1@birch.example.org"
    )
    Offer = apps.get_model("brokerage", "Offer")
    for branch, round_ in [(branch_a, 1), (branch_b, 2), (branch_a, 3)]:
        Offer.objects.create(
            package=package,
            branch=branch,
            provider=branch.provider,
            sent_at=now,
            deadline=now + timedelta(days=1),
            placement_response="offer_made",
            offered_start_date=date(2026, 12, 2),
            responded_at=now,
            outcome="awarded" if round_ < 3 else "open",
            round=round_,
        )
    review = apps.get_model("reviews", "Review").objects.create(
        package=package,
        provider=provider_b,
        branch=branch_b,
        status="delegated",
        due_on=date(2027, 1, 1),
        delegated_at=now,
    )
    ContentType = apps.get_model("contenttypes", "ContentType")
    review_type = ContentType.objects.get(app_label="reviews", model="review")
    told = apps.get_model("notifications", "Notification").objects.create(
        kind="review_moved",
        content_type=review_type,
        object_id=review.pk,
        provider=provider_b,
        branch=branch_b,
        to_email="b1@birch.example.org",
        subject="Review moved",
        body="b",
        created_at=now,
    )

    migrate(latest())

    from notifications.models import Notification
    from notifications.outbox import notifications_enqueue
    from reviews.models import Review
    from reviews.services import delegation_email

    assert Notification.objects.get(pk=told.pk).occasion == 2
    moved = Review.objects.get(pk=review.pk)

    def tell(round_):
        return notifications_enqueue([delegation_email(moved, moved_in_round=round_)])

    assert tell(2) == []  # the move already told
    assert len(tell(3)) == 1  # the next move is told
