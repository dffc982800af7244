"""Issue 10, "Query counts pinned on the shortlist, batch and standing pages": each page answers in
an exact number of queries, the same with 2 answering branches (and packages) as with 20, so the
pages stay as fast as the market grows: the L1 shortlist, the L2 confirmation, the L4 batch page
(the navigator's progress and a branch's view) and L6 a branch's standing after award."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from allocation.rates import refresh_rolling_rates
from allocation.services import award
from brokerage import services
from providers.models import Role
from tests.factories import (
    BranchFactory,
    CoverageFactory,
    PackageFactory,
    ProviderFactory,
    UserFactory,
)

# The pinned counts: a change to a page that adds a query per row fails here at once. (A
# session is written at most once a minute, accounts.sessions: no save among them.)
SHORTLIST = 10
CONFIRMATION = 12
STANDING = 6  # issue 13: a branch user's branch read with its provider (accounts.backends)
BATCH_PROGRESS = 6
BATCH_BRANCH_VIEW = 6  # the same

SIZES = [2, 20]


def answering_market(ward, n: int):
    """A package offered (P4) to `n` branches of `n` providers covering `ward`, each answering
    Offer Made a minute apart, with the rolling rates stored now (L1 reads them)."""
    branches = []
    for i in range(n):
        provider = ProviderFactory(ref=f"QP{i}", name=f"Query provider {i}")
        branch = BranchFactory(provider=provider, ref=f"QB{i}", name=f"Query branch {i}")
        CoverageFactory(branch=branch, ward=ward)
        branches.append(branch)
    package = PackageFactory(reference="PKG-QUERIES", ward=ward, status="queued")
    now = timezone.now()
    services.package_send_now(actor=None, package=package, now=now - timedelta(hours=2))
    for i, offer in enumerate(package.offers.order_by("branch__ref")):
        services.offer_respond(
            actor=None,
            offer=offer,
            response="offer_made",
            start_date=timezone.localdate() + timedelta(days=3 + i % 5),
            now=now - timedelta(hours=1, minutes=-i),
        )
    refresh_rolling_rates(as_of=now)
    package.refresh_from_db()
    return package, branches


@pytest.mark.parametrize("n", SIZES)
def test_issue10_shortlist_and_confirmation_queries_pinned(
    client, nina, ward, n, django_assert_num_queries
):
    package, _ = answering_market(ward, n)
    client.force_login(nina)
    url = f"/packages/{package.pk}/award/"
    with django_assert_num_queries(SHORTLIST):
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count("Query branch ") >= n
    second = package.offers.order_by("responded_at")[1]
    with django_assert_num_queries(CONFIRMATION):
        body = client.post(url, {"offer": second.pk}).content.decode()
    assert "Check the award before you make it" in body


@pytest.mark.parametrize("n", SIZES)
def test_issue10_standing_page_queries_pinned(client, nina, ward, n, django_assert_num_queries):
    package, branches = answering_market(ward, n)
    top = package.offers.order_by("responded_at").first()
    award(actor=nina, package=package, offer=top)
    loser = package.offers.exclude(pk=top.pk).order_by("-responded_at").first()
    user = UserFactory(
        username=f"q{n}", role=Role.PROVIDER_BRANCH, provider=loser.provider, branch=loser.branch
    )
    client.force_login(user)
    client.get(f"/offers/{loser.pk}/")  # the first look records viewed_at (P11)
    with django_assert_num_queries(STANDING):
        body = client.get(f"/offers/{loser.pk}/").content.decode()
    assert f"of {n}</strong>" in body  # ranked k of n (L6)
    assert top.branch.name not in body and top.provider.name not in body


@pytest.mark.parametrize("n", SIZES)
def test_issue10_batch_pages_queries_pinned(client, nina, ward, n, django_assert_num_queries):
    """`n` packages held by a leaving provider move to `n` branches: the navigator's batch page
    and a branch's view of it, each in the same number of queries whatever `n`."""
    leaving = BranchFactory(provider=ProviderFactory(ref="LEAVE", name="Leaving Care"), ref="L1")
    CoverageFactory(branch=leaving, ward=ward)
    packages = []
    for i in range(n):
        package = PackageFactory(reference=f"MOVE-Q{i}", ward=ward, status="queued")
        services.package_send_now(actor=None, package=package)
        won = package.offers.get(branch=leaving)
        services.offer_respond(
            actor=None,
            offer=won,
            response="offer_made",
            start_date=timezone.localdate() + timedelta(days=2),
        )
        services.package_award(actor=None, package=package, offer=won)
        packages.append(package)
    branches = [
        BranchFactory(provider=ProviderFactory(ref=f"NEW{i}"), ref=f"NB{i}") for i in range(n)
    ]
    for branch in branches:
        CoverageFactory(branch=branch, ward=ward)
    (batch,) = services.batches_create(
        actor=nina, package_ids=[p.pk for p in packages], reason="Leaving Care leaves"
    )
    services.batch_send(actor=nina, batch=batch)
    answered = batch.offers.filter(branch=branches[0]).first()
    services.offer_respond(
        actor=None,
        offer=answered,
        response="offer_made",
        start_date=timezone.localdate() + timedelta(days=2),
    )
    client.force_login(nina)
    with django_assert_num_queries(BATCH_PROGRESS):
        page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert page.count("MOVE-Q") >= n
    user = UserFactory(
        username=f"nb{n}",
        role=Role.PROVIDER_BRANCH,
        provider=branches[0].provider,
        branch=branches[0],
    )
    client.force_login(user)
    with django_assert_num_queries(BATCH_BRANCH_VIEW):
        view = client.get(f"/batches/{batch.pk}/").content.decode()
    assert view.count("MOVE-Q") >= n
