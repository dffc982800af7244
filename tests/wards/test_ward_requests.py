"""Ward requests (W3): providers ask, contract managers decide, coverage changes on approval only,
each approval publishing one register version (W2); every step audited (I4)."""

import pytest
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent
from wards.models import Coverage, RegisterVersion, WardRequest
from wards.services import (
    WardRequestConflict,
    WardRequestRefused,
    register_current_version,
    ward_request_create,
    ward_request_withdraw,
    ward_requests_approve,
    ward_requests_reject,
)

pytestmark = pytest.mark.django_db


def covers(branch, ward) -> bool:
    return Coverage.objects.in_force().filter(branch=branch, ward=ward).exists()


def ask(user, branch, wards, action="add", reason="We have carers living there"):
    return ward_request_create(actor=user, branch=branch, wards=wards, action=action, reason=reason)


def test_branch_user_asks_to_add_several_wards_with_one_reason(
    register, alice, branch_a1, ribbleton, chorley_east
):
    created = ask(alice, branch_a1, [ribbleton, chorley_east])
    assert [(r.ward.code, r.action, r.status) for r in created] == [
        ("E05012002", "add", "pending"),
        ("E05012003", "add", "pending"),
    ]
    assert {r.reason for r in created} == {"We have carers living there"}
    assert all(r.requested_by == alice for r in created)


def test_asking_changes_no_coverage_and_publishes_nothing(register, alice, branch_a1, ribbleton):
    ask(alice, branch_a1, [ribbleton])
    assert not covers(branch_a1, ribbleton)
    assert register_current_version() == 1


def test_cannot_ask_to_add_a_ward_already_covered(register, alice, branch_a1, fishwick, ribbleton):
    with pytest.raises(WardRequestRefused) as refused:
        ask(alice, branch_a1, [fishwick, ribbleton])
    assert refused.value.messages == ["Preston already covers Fishwick (E05012001)"]
    assert not WardRequest.objects.exists()  # all or nothing


def test_cannot_ask_to_remove_a_ward_not_covered(register, alice, branch_a1, ribbleton):
    with pytest.raises(WardRequestRefused, match="does not cover Ribbleton"):
        ask(alice, branch_a1, [ribbleton], action="remove")


def test_cannot_ask_twice_while_the_first_is_pending(register, alice, olivia, branch_a1, ribbleton):
    ask(alice, branch_a1, [ribbleton])
    with pytest.raises(WardRequestRefused, match="already has a pending request"):
        ask(olivia, branch_a1, [ribbleton])


def test_database_refuses_two_pending_requests_for_the_same_branch_ward_action(
    register, alice, branch_a1, ribbleton
):
    from django.db import IntegrityError, transaction

    first = ask(alice, branch_a1, [ribbleton])[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        WardRequest.objects.create(
            branch=branch_a1, ward=ribbleton, action="add", requested_at=first.requested_at
        )


def test_may_ask_again_after_a_rejection(register, alice, carl, branch_a1, ribbleton):
    first = ask(alice, branch_a1, [ribbleton])[0]
    ward_requests_reject(actor=carl, ids=[first.pk], comment="Too far from your office")
    assert len(ask(alice, branch_a1, [ribbleton])) == 1


def test_branch_user_may_not_ask_for_a_sibling_branch(register, alice, branch_a2, ribbleton):
    with pytest.raises(PermissionDenied):
        ask(alice, branch_a2, [ribbleton])


def test_organisation_user_may_ask_for_any_of_its_branches(register, olivia, branch_a2, ribbleton):
    assert len(ask(olivia, branch_a2, [ribbleton])) == 1


def test_provider_user_may_not_ask_for_another_providers_branch(
    register, bob, branch_a1, ribbleton
):
    with pytest.raises(PermissionDenied):
        ask(bob, branch_a1, [ribbleton])


def test_council_users_do_not_make_requests(register, carl, branch_a1, ribbleton):
    with pytest.raises(PermissionDenied):
        ask(carl, branch_a1, [ribbleton])


def test_approval_adds_the_coverage_and_publishes_the_next_version_linked_to_the_request(
    register, alice, carl, branch_a1, ribbleton
):
    request = ask(alice, branch_a1, [ribbleton])[0]
    version = ward_requests_approve(actor=carl, ids=[request.pk], comment="Agreed at the forum")
    request.refresh_from_db()
    assert covers(branch_a1, ribbleton)
    assert version.number == 2 and version.published_by == carl
    assert (version.added, version.removed) == (1, 0)
    assert (request.status, request.decided_by, request.version) == ("approved", carl, version)
    assert request.comment == "Agreed at the forum" and request.decided_at is not None


def test_approving_a_removal_ends_the_coverage(register, alice, carl, branch_a1, fishwick):
    request = ask(alice, branch_a1, [fishwick], action="remove")[0]
    version = ward_requests_approve(actor=carl, ids=[request.pk])
    assert not covers(branch_a1, fishwick)
    assert Coverage.objects.get(branch=branch_a1, ward=fishwick).removed_in == version.number


def test_a_second_approval_is_refused_as_already_approved(
    register, alice, carl, branch_a1, ribbleton
):
    request = ask(alice, branch_a1, [ribbleton])[0]
    ward_requests_approve(actor=carl, ids=[request.pk])
    with pytest.raises(WardRequestConflict, match="already been approved by carl"):
        ward_requests_approve(actor=carl, ids=[request.pk])
    assert register_current_version() == 2


def test_provider_user_may_not_approve_its_own_request(
    register, alice, olivia, branch_a1, ribbleton
):
    request = ask(alice, branch_a1, [ribbleton])[0]
    for user in (alice, olivia):
        with pytest.raises(PermissionDenied):
            ward_requests_approve(actor=user, ids=[request.pk])
    request.refresh_from_db()
    assert request.status == "pending" and not covers(branch_a1, ribbleton)


def test_navigator_may_not_approve(register, alice, nina, branch_a1, ribbleton):
    request = ask(alice, branch_a1, [ribbleton])[0]
    with pytest.raises(PermissionDenied):
        ward_requests_approve(actor=nina, ids=[request.pk])


def test_administrator_may_approve(register, alice, adam, branch_a1, ribbleton):
    request = ask(alice, branch_a1, [ribbleton])[0]
    assert ward_requests_approve(actor=adam, ids=[request.pk]).number == 2


def test_rejection_keeps_coverage_and_needs_a_comment(register, alice, carl, branch_a1, ribbleton):
    request = ask(alice, branch_a1, [ribbleton])[0]
    with pytest.raises(WardRequestRefused, match="Say why"):
        ward_requests_reject(actor=carl, ids=[request.pk], comment="  ")
    ward_requests_reject(actor=carl, ids=[request.pk], comment="Too far from your office")
    request.refresh_from_db()
    assert (request.status, request.comment, request.version) == (
        "rejected",
        "Too far from your office",
        None,
    )
    assert not covers(branch_a1, ribbleton) and register_current_version() == 1


def test_approving_a_rejected_request_is_refused(register, alice, carl, branch_a1, ribbleton):
    request = ask(alice, branch_a1, [ribbleton])[0]
    ward_requests_reject(actor=carl, ids=[request.pk], comment="No")
    with pytest.raises(WardRequestConflict, match="already been rejected"):
        ward_requests_approve(actor=carl, ids=[request.pk])


def test_bulk_approval_publishes_one_version_for_all_requests(
    register, alice, bob, carl, branch_a1, branch_b1, ribbleton, chorley_east, fishwick
):
    a = ask(alice, branch_a1, [ribbleton, chorley_east])
    b = ask(bob, branch_b1, [chorley_east], action="remove")
    version = ward_requests_approve(
        actor=carl, ids=[r.pk for r in a + b], comment="Quarterly ward review"
    )
    assert version.number == 2 and (version.added, version.removed) == (2, 1)
    assert RegisterVersion.objects.filter(number__gt=0).count() == 2
    assert set(WardRequest.objects.values_list("status", "version__number")) == {("approved", 2)}
    assert "Quarterly ward review" in version.note


def test_bulk_approval_is_all_or_nothing_when_one_was_decided(
    register, alice, carl, branch_a1, ribbleton, chorley_east
):
    first, second = ask(alice, branch_a1, [ribbleton, chorley_east])
    ward_requests_reject(actor=carl, ids=[first.pk], comment="No")
    with pytest.raises(WardRequestConflict, match=f"Request {first.pk} has already been rejected"):
        ward_requests_approve(actor=carl, ids=[first.pk, second.pk])
    second.refresh_from_db()
    assert second.status == "pending" and register_current_version() == 1


def test_bulk_rejection_with_one_comment(register, alice, carl, branch_a1, ribbleton, chorley_east):
    created = ask(alice, branch_a1, [ribbleton, chorley_east])
    ward_requests_reject(actor=carl, ids=[r.pk for r in created], comment="Market is full there")
    assert set(WardRequest.objects.values_list("status", "comment")) == {
        ("rejected", "Market is full there")
    }


def test_provider_withdraws_its_pending_request(register, alice, carl, branch_a1, ribbleton):
    request = ask(alice, branch_a1, [ribbleton])[0]
    ward_request_withdraw(actor=alice, request=request)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    with pytest.raises(WardRequestConflict, match="already been withdrawn"):
        ward_requests_approve(actor=carl, ids=[request.pk])


def test_withdrawing_a_decided_request_is_refused(register, alice, carl, branch_a1, ribbleton):
    request = ask(alice, branch_a1, [ribbleton])[0]
    ward_requests_approve(actor=carl, ids=[request.pk])
    with pytest.raises(WardRequestConflict):
        ward_request_withdraw(actor=alice, request=request)


def test_another_provider_may_not_withdraw(register, alice, bob, carl, branch_a1, ribbleton):
    request = ask(alice, branch_a1, [ribbleton])[0]
    for user in (bob, carl):
        with pytest.raises(PermissionDenied):
            ward_request_withdraw(actor=user, request=request)


def test_every_step_is_audited(register, alice, carl, branch_a1, ribbleton, chorley_east):
    first, second = ask(alice, branch_a1, [ribbleton, chorley_east])
    ward_requests_approve(actor=carl, ids=[first.pk], comment="Yes")
    ward_request_withdraw(actor=alice, request=second)
    events = AuditEvent.objects.filter(object_type="wards.wardrequest").order_by("pk")
    assert [(e.action, e.object_id, e.actor_label) for e in events] == [
        ("ward_request.create", str(first.pk), "alice"),
        ("ward_request.create", str(second.pk), "alice"),
        ("ward_request.approved", str(first.pk), "carl"),
        ("ward_request.withdrawn", str(second.pk), "alice"),
    ]
    approved = events[2]
    assert approved.before == {"status": "pending"} and approved.after["version"] == 2
    assert (
        AuditEvent.objects.filter(action="register.publish", object_id__isnull=False).count() == 2
    )


def test_visible_to_scopes_requests_by_branch(
    register, alice, olivia, bob, carl, branch_a1, branch_a2, branch_b1, ribbleton
):
    a1 = ask(alice, branch_a1, [ribbleton])[0]
    a2 = ask(olivia, branch_a2, [ribbleton])[0]
    b1 = ask(bob, branch_b1, [ribbleton])[0]

    def seen(user):
        return set(WardRequest.objects.visible_to(user))

    assert seen(alice) == {a1}
    assert seen(olivia) == {a1, a2}
    assert seen(bob) == {b1}
    assert seen(carl) == {a1, a2, b1}
