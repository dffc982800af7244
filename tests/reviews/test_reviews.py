"""Trusted reviews (issue 11): delegation (R1), the form and its outcome rule at each boundary
(R2), sign-off with hours history and the returned list (R3), the reviews page's counts, times and
medians, and scoping (A1: branch, sibling branch, organisation, other provider)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.hours import hours_history
from brokerage.models import HoursChange
from core.errors import InvalidInput, NotAllowed
from notifications.models import Notification
from reviews import services
from reviews.models import Review, ReviewOutcome, ReviewStatus
from reviews.selectors import packages_due, review_summary

from .conftest import award_to

pytestmark = pytest.mark.django_db
D = Decimal


def delegate(rita, package, **kw) -> Review:
    return services.review_delegate(actor=rita, package=package, **kw)


def submit(
    user, review, proposed, *, concern=False, current=None, outcomes="Settled well."
) -> Review:
    answers = services.review_answers(
        review,
        current_hours=current,
        proposed_hours=proposed,
        outcomes=outcomes,
        capacity_concern=concern,
    )
    return services.review_submit(actor=user, review=review, answers=answers)


# --- R2: the outcome rule at each boundary -----------------------------------------------------


@pytest.mark.parametrize(
    ("proposed", "concern", "outcome", "status"),
    [
        ("13.5", False, "increase", "submitted"),  # exactly 3.5 more: the trusted reviewer's
        ("13.51", False, "reassessment", "returned"),  # 3.51 more: back to adult social care
        ("0", False, "reduction", "submitted"),  # a reduction to nothing
        ("10", True, "reassessment", "returned"),  # a capacity concern, hours unchanged
        ("10", False, "no_change", "submitted"),
        ("10.01", False, "increase", "submitted"),
        ("9.99", False, "reduction", "submitted"),
    ],
)
def test_R2_outcome_at_each_boundary(rita, alice, held, proposed, concern, outcome, status):
    review = submit(alice, delegate(rita, held["a1"]), proposed, concern=concern)
    assert (review.outcome, review.status) == (outcome, status)
    assert review.proposed_hours == D(proposed)
    held["a1"].refresh_from_db()
    assert held["a1"].hours_per_week == D("10")  # nothing changes before sign-off


def test_R2_the_explanation_says_why_before_submitting():
    explain = services.outcome_explanation
    assert explain(D(10), D("13.51"), False) == (
        "This review will be returned to adult social care for reassessment because the "
        "increase of 3.51 hours a week is more than the 3.5 hours a trusted reviewer may "
        "approve. The package's hours will not change."
    )
    assert "because you have a concern about the person's mental capacity" in explain(
        D(10), D(10), True
    )
    assert "increase of 3.5 hours a week, within the 3.5 hours" in explain(D(10), D("13.5"), False)
    assert "reduction of 10 hours a week" in explain(D(10), D(0), False)
    assert explain(D(10), D(10), False) == "No change: the package stays at 10 hours a week."


def test_R2_answers_are_checked_field_by_field(rita, held):
    review = delegate(rita, held["a1"])
    with pytest.raises(InvalidInput) as caught:
        services.review_answers(review, current_hours="12", proposed_hours="x", outcomes=" ")
    assert set(caught.value.errors) == {"current_hours", "proposed_hours", "outcomes"}
    assert "10 hours a week" in caught.value.errors["current_hours"][0]
    with pytest.raises(InvalidInput) as caught:
        services.review_answers(review, proposed_hours="169", outcomes="x")
    assert "between 0 and 168" in caught.value.errors["proposed_hours"][0]


def test_R2_long_pasted_outcomes_are_kept_whole(rita, alice, held):
    text = "Outcome paragraph from our own review document.\n" * 800  # ~40,000 characters
    review = submit(alice, delegate(rita, held["a1"]), "10", outcomes=text)
    review.refresh_from_db()
    assert review.outcomes == text.strip()


# --- R1: delegation ------------------------------------------------------------------------------


def test_R1_delegation_emails_the_organisation_and_the_holding_branch(
    rita, olivia, alice, held, branch_a1, provider_a
):
    provider_a.contact_email = "office@amber.example"
    provider_a.save()
    branch_a1.notification_email = "preston@amber.example"
    branch_a1.save()
    olivia.email = "olivia@amber.example"
    olivia.save()
    review = delegate(rita, held["a1"], due_on=timezone.localdate() + timedelta(days=14))
    (email,) = Notification.objects.filter(review=review)
    assert email.kind == "review_delegation"
    assert set(email.recipients) == {
        "office@amber.example",
        "olivia@amber.example",
        "preston@amber.example",
    }
    assert (email.provider_id, email.branch_id) == (provider_a.pk, branch_a1.pk)
    assert "REV-A1" in email.subject and "REV-A1" in email.body
    # Both the branch and its organisation see it among their e-mails (A1).
    assert Notification.objects.visible_to(alice).filter(pk=email.pk).exists()
    assert Notification.objects.visible_to(olivia).filter(pk=email.pk).exists()


def test_R1_only_an_awarded_package_without_an_open_review(rita, held, ward):
    from tests.factories import PackageFactory

    with pytest.raises(services.ReviewError):
        delegate(rita, PackageFactory(ward=ward, status="offered"))
    delegate(rita, held["a1"])
    with pytest.raises(services.ReviewError, match="already been delegated"):
        delegate(rita, held["a1"])


def test_R1_due_date_defaults_to_four_weeks_and_refuses_the_past(rita, held):
    review = delegate(rita, held["a1"])
    assert review.due_on == timezone.localdate() + timedelta(days=28)
    with pytest.raises(InvalidInput) as caught:
        delegate(rita, held["a2"], due_on=timezone.localdate() - timedelta(days=1))
    assert "due_on" in caught.value.errors


def test_R1_only_reviewers_delegate(nina, alice, held):
    for user in (nina, alice):
        with pytest.raises(NotAllowed):
            delegate(user, held["a1"])


def test_R1_due_a_year_after_award_or_the_last_review(rita, alice, branch_a1, provider_a):
    today = timezone.localdate()
    now = timezone.now()
    old = award_to(branch_a1, reference="OLD")  # 400 days ago: due
    award_to(branch_a1, reference="NEW", at=now - timedelta(days=200))  # not due
    exact = award_to(branch_a1, reference="EXACT", at=now - timedelta(days=366))  # due
    reviewed = award_to(branch_a1, reference="REVIEWED")
    review = submit(alice, delegate(rita, reviewed), "10")
    services.review_sign_off(actor=rita, review=review, now=now - timedelta(days=100))
    open_one = award_to(branch_a1, reference="OPEN")
    delegate(rita, open_one)
    due = list(packages_due(today, provider=provider_a).values_list("reference", flat=True))
    assert sorted(due) == ["EXACT", "OLD"]
    assert old.reviews.count() == 0 and exact.reviews.count() == 0


def test_R1_delegate_all_of_a_providers_due_packages(rita, held, provider_a, api_as):
    response = api_as(rita).post("/api/v1/reviews/delegate-due/", {"provider": "PA"}, format="json")
    assert response.status_code == 200, response.json()
    refs = sorted(r["package_reference"] for r in response.json()["reviews"])
    assert refs == ["REV-A1", "REV-A2"]  # A's two packages, never B's
    again = api_as(rita).post("/api/v1/reviews/delegate-due/", {"provider": "PA"}, format="json")
    assert again.json() == {"reviews": []}


def test_R1_provider_sees_its_reviews_overdue_first(client, rita, alice, olivia, held, branch_a1):
    later = award_to(branch_a1, reference="REV-LATER")
    today = timezone.localdate()
    r1 = delegate(rita, held["a1"], due_on=today + timedelta(days=3))
    r2 = delegate(rita, later, due_on=today + timedelta(days=1))
    Review.objects.filter(pk=r1.pk).update(due_on=today - timedelta(days=2))  # now overdue
    client.force_login(alice)
    body = client.get(reverse("reviews:list")).content.decode()
    assert body.index("REV-A1") < body.index("REV-LATER")
    assert "Overdue" in body
    assert r2.pk


# --- R3: sign-off ----------------------------------------------------------------------------


def test_R3_signing_off_an_increase_changes_the_hours_with_history(rita, alice, held, api_as):
    review = submit(alice, delegate(rita, held["a1"]), "13.5")
    response = api_as(rita).post(f"/api/v1/reviews/{review.pk}/sign-off/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "signed_off"
    held["a1"].refresh_from_db()
    assert held["a1"].hours_per_week == D("13.5")
    rows = hours_history(held["a1"])
    assert [(r["old_hours"], r["hours_per_week"], r["review"]) for r in rows[1:]] == [
        (D("10.00"), D("13.50"), review.pk)
    ]
    hours = api_as(rita).get(f"/api/v1/packages/{held['a1'].pk}/hours/").json()
    assert hours[-1]["review"] == review.pk and hours[-1]["from"] == str(timezone.localdate())


def test_R3_a_reduction_to_nothing_signed_off(rita, alice, held):
    review = submit(alice, delegate(rita, held["a1"]), "0")
    services.review_sign_off(actor=rita, review=review)
    held["a1"].refresh_from_db()
    assert held["a1"].hours_per_week == D("0")


def test_R3_no_change_signed_off_records_no_hours_change(rita, alice, held):
    review = submit(alice, delegate(rita, held["a1"]), "10")
    services.review_sign_off(actor=rita, review=review)
    assert not HoursChange.objects.exists()


def test_R3_a_returned_review_cannot_be_signed_off_and_changes_nothing(
    rita, alice, held, api_as, client
):
    review = submit(alice, delegate(rita, held["a1"]), "15")
    response = api_as(rita).post(f"/api/v1/reviews/{review.pk}/sign-off/")
    assert response.status_code == 409
    assert "returned to adult social care" in response.json()["detail"]
    held["a1"].refresh_from_db()
    assert held["a1"].hours_per_week == D("10") and not HoursChange.objects.exists()
    client.force_login(rita)
    body = client.get(reverse("reviews:returned")).content.decode()
    assert "REV-A1" in body and "Increase over 3.5 hours a week" in body


def test_R3_signing_off_twice_or_before_submission_is_refused(rita, alice, held, api_as):
    review = delegate(rita, held["a1"])
    assert api_as(rita).post(f"/api/v1/reviews/{review.pk}/sign-off/").status_code == 409
    submit(alice, review, "12")
    assert api_as(rita).post(f"/api/v1/reviews/{review.pk}/sign-off/").status_code == 200
    assert api_as(rita).post(f"/api/v1/reviews/{review.pk}/sign-off/").status_code == 409
    assert HoursChange.objects.count() == 1


def test_R3_only_a_reviewer_signs_off(rita, alice, olivia, nina, held, api_as):
    review = submit(alice, delegate(rita, held["a1"]), "12")
    for user in (alice, olivia, nina):
        assert api_as(user).post(f"/api/v1/reviews/{review.pk}/sign-off/").status_code == 403


def test_R3_signing_off_a_cancelled_package_is_refused(rita, alice, nina, held):
    from brokerage import services as brokerage_services

    review = submit(alice, delegate(rita, held["a1"]), "12")
    brokerage_services.package_cancel(
        actor=nina, package=held["a1"], reason="Moved", cancelled_on=timezone.localdate()
    )
    with pytest.raises(services.StateConflict):
        services.review_sign_off(actor=rita, review=review)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED


# --- R3: the reviews page's counts, times and medians ------------------------------------------


def test_R3_summary_counts_by_outcome_and_median_days(rita, alice, branch_a1):
    now = timezone.now()
    start = now - timedelta(days=30)
    plan = [("10", 2, 1), ("12", 4, 3), ("8", 6, None), ("20", 10, None)]
    for i, (proposed, to_submit, to_sign) in enumerate(plan):
        package = award_to(branch_a1, reference=f"S{i}")
        review = services.review_delegate(actor=rita, package=package, now=start)
        answers = services.review_answers(review, proposed_hours=proposed, outcomes="x")
        services.review_submit(
            actor=alice, review=review, answers=answers, now=start + timedelta(days=to_submit)
        )
        if to_sign:
            services.review_sign_off(
                actor=rita, review=review, now=start + timedelta(days=to_submit + to_sign)
            )
    services.review_delegate(actor=rita, package=award_to(branch_a1, reference="S9"), now=start)
    summary = review_summary(Review.objects.all())
    assert summary.counts == {"no_change": 1, "increase": 1, "reduction": 1, "reassessment": 1}
    assert (summary.total, summary.awaiting_provider, summary.awaiting_sign_off) == (5, 1, 1)
    assert summary.median_days_to_submit == 5.0  # 2, 4, 6, 10
    assert summary.median_days_to_sign_off == 2.0  # 1, 3


def test_R3_summary_api_and_csv(rita, alice, held, api_as):
    submit(alice, delegate(rita, held["a1"]), "10")
    body = api_as(rita).get("/api/v1/reviews/summary/").json()
    assert body["counts"] == {"no_change": 1, "reduction": 0, "increase": 0, "reassessment": 0}
    assert set(body) == {"counts", "median_days_to_submit", "median_days_to_sign_off"}
    text = api_as(rita).get("/api/v1/reviews/export.csv").content.decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["package_reference"], row["outcome"], row["status"]) == (
        "REV-A1",
        "no_change",
        "submitted",
    )


def test_R3_reviews_page_shows_counts_chart_and_filters(client, rita, alice, held):
    submit(alice, delegate(rita, held["a1"]), "11")
    delegate(rita, held["b1"])
    client.force_login(rita)
    body = client.get(reverse("reviews:list")).content.decode()
    assert "<svg" in body and "Reviews by outcome" in body and "REV-B1" in body
    body = client.get(reverse("reviews:list") + "?outcome=increase").content.decode()
    assert "REV-A1" in body and "REV-B1" not in body


def test_R3_reviews_page_query_count_is_constant(
    client, rita, alice, branch_a1, django_assert_max_num_queries
):
    for i in range(12):
        review = delegate(rita, award_to(branch_a1, reference=f"Q{i}"))
        if i % 2:
            submit(alice, review, "11")
    client.force_login(rita)
    with django_assert_max_num_queries(14):
        client.get(reverse("reviews:list"))
    client.force_login(alice)
    with django_assert_max_num_queries(14):
        client.get(reverse("reviews:list"))


# --- A1: scoping -------------------------------------------------------------------------------


@pytest.fixture
def delegated(rita, held):
    return {key: delegate(rita, package) for key, package in held.items()}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", ["REV-A1"]),  # branch a1: its own, not sibling a2's
        ("olivia", ["REV-A1", "REV-A2"]),  # organisation A: all its branches'
        ("bob", ["REV-B1"]),  # provider B: never A's
        ("rita", ["REV-A1", "REV-A2", "REV-B1"]),
    ],
)
def test_A1_reviews_list_is_scoped(request, api_as, delegated, persona, expected):
    user = request.getfixturevalue(persona)
    response = api_as(user).get("/api/v1/reviews/")
    assert sorted(r["package_reference"] for r in response.json()["results"]) == expected


def test_A1_another_providers_review_is_404_everywhere(client, api_as, delegated, bob, alice):
    a1, a2 = delegated["a1"], delegated["a2"]
    for user, review in [(bob, a1), (alice, a2)]:
        assert api_as(user).get(f"/api/v1/reviews/{review.pk}/").status_code == 404
        post = api_as(user).post(
            f"/api/v1/reviews/{review.pk}/submit/", {"proposed_hours": "7", "outcomes": "x"}
        )
        assert post.status_code == 404
        client.force_login(user)
        assert client.get(reverse("reviews:review", args=[review.pk])).status_code == 404
        assert client.get(reverse("reviews:complete", args=[review.pk])).status_code == 404
    csv_text = api_as(bob).get("/api/v1/reviews/export.csv").content.decode()
    assert "REV-A1" not in csv_text and "Amber" not in csv_text
    assert api_as(bob).get("/api/v1/reviews/?provider=PA").json()["count"] == 0


def test_A1_the_organisation_completes_a_branchs_review(api_as, delegated, olivia):
    response = api_as(olivia).post(
        f"/api/v1/reviews/{delegated['a2'].pk}/submit/",
        {"current_hours": "7", "proposed_hours": "8", "outcomes": "More help at tea time."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["outcome"], response.json()["status"]) == ("increase", "submitted")


# --- The API as API.md names it ---------------------------------------------------------------


def test_api_delegate_submit_twice_and_errors(api_as, rita, alice, held, ward):
    from tests.factories import PackageFactory

    created = api_as(rita).post("/api/v1/reviews/", {"package": held["a1"].pk}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) >= {"id", "package", "provider", "status", "outcome", "due_on", "delegated_at"}
    assert (body["package"], body["status"], body["outcome"]) == (held["a1"].pk, "delegated", None)
    assert body["provider"] == {"ref": "PA", "name": "Amber Homecare Ltd"}
    draft = PackageFactory(ward=ward, status="draft")
    assert api_as(rita).post("/api/v1/reviews/", {"package": draft.pk}).status_code == 409
    assert api_as(alice).post("/api/v1/reviews/", {"package": held["a2"].pk}).status_code == 403
    url = f"/api/v1/reviews/{body['id']}/submit/"
    payload = {
        "current_hours": "10",
        "proposed_hours": "13.51",
        "outcomes": "Needs a second call.",
        "capacity_concern": False,
    }
    first = api_as(alice).post(url, payload, format="json")
    assert first.status_code == 200 and first.json()["outcome"] == "reassessment"
    assert first.json()["status"] == "returned"
    assert api_as(alice).post(url, payload, format="json").status_code == 409
    assert api_as(rita).post(url, payload, format="json").status_code == 403


def test_api_submit_with_a_wrong_current_hours_is_400(api_as, rita, alice, held):
    review = delegate(rita, held["a1"])
    response = api_as(alice).post(
        f"/api/v1/reviews/{review.pk}/submit/",
        {"current_hours": "6", "proposed_hours": "9.5", "outcomes": "x"},
        format="json",
    )
    assert response.status_code == 400 and "current_hours" in response.json()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DELEGATED


# --- Pages: the form shows the outcome before submitting -------------------------------------


def test_R2_page_shows_the_outcome_before_submitting_then_submits(client, rita, alice, held):
    review = delegate(rita, held["a1"])
    client.force_login(alice)
    url = reverse("reviews:complete", args=[review.pk])
    form = client.get(url).content.decode()
    assert 'value="10.00"' in form  # current hours prefilled
    answers = {"current_hours": "10", "proposed_hours": "14", "outcomes": "Needs more help."}
    check = client.post(url, {**answers, "action": "check"}).content.decode()
    assert "returned to adult social care for reassessment because the increase of 4 hours" in check
    review.refresh_from_db()
    assert review.status == ReviewStatus.DELEGATED  # nothing submitted yet
    done = client.post(url, {**answers, "action": "submit"}, follow=True).content.decode()
    assert "returned to adult social care for reassessment" in done
    review.refresh_from_db()
    assert (review.status, review.outcome) == (ReviewStatus.RETURNED, ReviewOutcome.REASSESSMENT)


def test_R2_page_shows_bad_answers_on_the_form(client, rita, alice, held):
    review = delegate(rita, held["a1"])
    client.force_login(alice)
    response = client.post(
        reverse("reviews:complete", args=[review.pk]),
        {"current_hours": "10", "proposed_hours": "", "outcomes": "", "action": "check"},
    )
    body = response.content.decode()
    assert "govuk-error-summary" in body and "Enter the proposed hours a week" in body


def test_R1_R3_pages_delegate_and_sign_off(client, rita, alice, held):
    client.force_login(rita)
    due = client.get(reverse("reviews:due")).content.decode()
    assert "REV-A1" in due and "Delegate 2 reviews" in due
    day = timezone.localdate() + timedelta(days=10)
    response = client.post(
        reverse("reviews:delegate"),
        {
            "package": "rev-a1",
            "due_on-day": day.day,
            "due_on-month": day.month,
            "due_on-year": day.year,
        },
        follow=True,
    )
    assert "delegated to Amber Homecare Ltd (Preston branch)" in response.content.decode()
    review = Review.objects.get(package=held["a1"])
    assert review.due_on == day
    submit(alice, review, "9")
    page = client.post(reverse("reviews:sign-off", args=[review.pk]), follow=True)
    assert "its hours are now 9 hours a week" in page.content.decode()
    pkg = client.get(reverse("brokerage:package", args=[held["a1"].pk])).content.decode()
    assert f"Review {review.pk} signed off: reduction</a>" in pkg


def test_R1_delegate_page_refuses_an_unknown_reference(client, rita):
    client.force_login(rita)
    today: date = timezone.localdate()
    response = client.post(
        reverse("reviews:delegate"),
        {
            "package": "NOPE",
            "due_on-day": today.day,
            "due_on-month": today.month,
            "due_on-year": today.year,
        },
    )
    assert "No package has that reference" in response.content.decode()


def test_home_page_links_for_reviewer_and_provider(client, rita, alice, held):
    delegate(rita, held["a1"])
    client.force_login(rita)
    body = client.get("/").content.decode()
    assert reverse("reviews:due") in body and "packages due a review" in body
    client.force_login(alice)
    body = client.get("/").content.decode()
    assert "reviews to complete" in body and reverse("brokerage:claims") in body


def test_reviews_csv_cannot_run_a_formula(api_as, rita, held, provider_a):
    """Issue 14.3 for the reviews CSV: a provider name starting '=' is written as text."""
    provider_a.name = '=HYPERLINK("http://evil")'
    provider_a.save()
    delegate(rita, held["a1"])
    text = api_as(rita).get("/api/v1/reviews/export.csv").content.decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["provider_name"].startswith("'=")
