"""W3 under real concurrency: contract managers approving at once, each thread with its own
PostgreSQL connection (STYLE 13)."""

import pytest

from tests.brokerage.test_concurrency import run_at_once
from tests.factories import BranchFactory, UserFactory, WardFactory
from wards.models import RegisterVersion, WardRequest
from wards.services import (
    WardRequestConflict,
    register_change,
    ward_request_create,
    ward_requests_approve,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_contract_managers_approving_the_same_request_at_once_one_wins(alice, branch_a1, ward):
    register_change(add=[(BranchFactory(), ward)], note="First register")
    target = WardFactory(code="E05012099", name="Deepdale")
    request = ward_request_create(actor=alice, branch=branch_a1, wards=[target], action="add")[0]
    managers = [UserFactory(username=f"cm{i}", role="contract_manager") for i in range(2)]

    results = run_at_once(
        2, lambda i: ward_requests_approve(actor=managers[i], ids=[request.pk], comment=f"cm{i}")
    )

    wins = [r for r in results if isinstance(r, RegisterVersion)]
    refusals = [r for r in results if isinstance(r, WardRequestConflict)]
    assert len(wins) == 1 and len(refusals) == 1, results
    assert "already been approved" in str(refusals[0])
    assert RegisterVersion.objects.filter(number__gt=0).count() == 2  # v1 and exactly one new
    request.refresh_from_db()
    assert request.status == "approved" and request.version == wins[0]
    assert request.decided_by.username == wins[0].published_by.username


def test_contract_managers_approving_different_requests_at_once_publish_consecutive_versions(
    olivia, branch_a1, branch_a2
):
    wards = [WardFactory() for _ in range(8)]
    requests = [
        ward_request_create(actor=olivia, branch=b, wards=[w], action="add")[0]
        for w in wards
        for b in (branch_a1, branch_a2)
    ]
    carl = UserFactory(username="carl", role="contract_manager")
    results = run_at_once(
        len(requests), lambda i: ward_requests_approve(actor=carl, ids=[requests[i].pk])
    )
    assert all(isinstance(r, RegisterVersion) for r in results), results
    assert sorted(r.number for r in results) == list(range(1, len(requests) + 1))
    assert not WardRequest.objects.filter(status="pending").exists()


def test_overlapping_bulk_approvals_do_not_deadlock_and_each_request_is_approved_once(
    olivia, branch_a1
):
    wards = [WardFactory() for _ in range(6)]
    ids = [
        r.pk for r in ward_request_create(actor=olivia, branch=branch_a1, wards=wards, action="add")
    ]
    carl = UserFactory(username="carl", role="contract_manager")
    batches = [ids[:4], list(reversed(ids[2:]))]
    results = run_at_once(2, lambda i: ward_requests_approve(actor=carl, ids=batches[i]))
    wins = [r for r in results if isinstance(r, RegisterVersion)]
    assert len(wins) == 1 and isinstance(
        next(r for r in results if r not in wins), WardRequestConflict
    ), results
    assert RegisterVersion.objects.filter(number__gt=0).count() == 1
