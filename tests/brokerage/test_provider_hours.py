"""L1 market share kept per provider (issue 10): the weekly hours each provider holds in awarded
packages (`ProviderHours`, brokerage/holdings.py) always equal a recount from the awards, moved
in the same transaction as award, cancel, end (P2), withdraw, an hours change and an L4
reallocation round; `hours_held` reads them in one query; the rebuild restores them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from allocation.matrix import hours_held
from brokerage import holdings, services
from brokerage.models import Outcome, Package, PackageStatus, ProviderHours
from providers.models import Role
from tests.factories import (
    BranchFactory,
    CoverageFactory,
    PackageFactory,
    ProviderFactory,
    UserFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 1, 9, tzinfo=LONDON)


def make_market(providers: int = 3):
    ward = WardFactory()
    branches = []
    for _ in range(providers):
        branch = BranchFactory(provider=ProviderFactory())
        CoverageFactory(branch=branch, ward=ward, started_at=datetime(2020, 1, 1, tzinfo=LONDON))
        branches.append(branch)
    return ward, branches


def award_to(package: Package, branch, navigator) -> None:
    """The open offer of `branch` in the package's current round: Offer Made, then awarded (L2)."""
    offer = package.offers.get(branch=branch, round=package.round)
    services.offer_respond(
        actor=None, offer=offer, response="offer_made", start_date=NOW.date(), now=NOW
    )
    services.package_award(actor=navigator, package=package, offer=offer, now=NOW)


def sent(ward, hours) -> Package:
    package = PackageFactory(ward=ward, status="queued", hours_per_week=Decimal(hours))
    services.package_send_now(actor=None, package=package, now=NOW)
    package.refresh_from_db()
    return package


class ProviderHoursMachine(RuleBasedStateMachine):
    """Random sequences of the writes that move a package's holder or hours; after each the kept
    hours equal a recount and `hours_held` of every provider equals it too."""

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.ward, self.branches = make_market()
        self.navigator = UserFactory(role=Role.NAVIGATOR)

    @initialize()
    def every_write_once(self):
        """Every run starts with each write once, checked after each, whatever the random steps
        then draw: two awards (A 6, B 14.5), an hours change (B 20), an L4 round and its award
        again (A's 9 hours move to B), an end (P2), a cancellation and a withdrawal."""
        nav, (a, b, _c) = self.navigator, self.branches
        award_to(sent(self.ward, "6"), a, nav)
        self.kept_equals_recount()
        second = sent(self.ward, "14.5")
        award_to(second, b, nav)
        second.refresh_from_db()
        services.package_hours_change(
            actor=nav, package=second, hours=Decimal("20"), reason="Review", now=NOW
        )
        self.kept_equals_recount()
        moved = sent(self.ward, "9")
        award_to(moved, a, nav)
        (batch,) = services.batches_create(actor=nav, package_ids=[moved.pk], reason="Leaving")
        services.batch_send(actor=nav, batch=batch, now=NOW)
        self.kept_equals_recount()
        moved.refresh_from_db()
        award_to(moved, b, nav)
        self.kept_equals_recount()
        ended, cancelled = sent(self.ward, "4"), sent(self.ward, "3")
        award_to(ended, a, nav)
        award_to(cancelled, b, nav)
        ended.refresh_from_db()
        services.package_end(
            actor=nav, package=ended, reason="Care done", ended_on=NOW.date(), now=NOW
        )
        self.kept_equals_recount()
        cancelled.refresh_from_db()
        services.package_cancel(
            actor=nav, package=cancelled, reason="Moved away", cancelled_on=NOW.date(), now=NOW
        )
        self.kept_equals_recount()
        services.package_withdraw(actor=nav, package=sent(self.ward, "2"), reason="Not needed")
        self.kept_equals_recount()
        assert holdings.stored() == {a.provider_id: Decimal("6"), b.provider_id: Decimal("29")}

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def pick(self, data, status):
        packages = list(Package.objects.filter(status=status).order_by("pk"))
        return data.draw(st.sampled_from(packages)) if packages else None

    @rule(hours=st.sampled_from(["3.5", "10", "21.25"]))
    def send(self, hours):
        sent(self.ward, hours)

    @rule(data=st.data())
    def award(self, data):
        package = self.pick(data, PackageStatus.OFFERED)
        if package is None:
            return
        open_branches = [
            o.branch
            for o in package.offers.filter(round=package.round, outcome=Outcome.OPEN).order_by("pk")
        ]
        if open_branches:
            award_to(package, data.draw(st.sampled_from(open_branches)), self.navigator)

    @rule(data=st.data(), how=st.sampled_from(["cancel", "end", "hours", "reallocate"]))
    def after_award(self, data, how):
        package = self.pick(data, PackageStatus.AWARDED)
        if package is None:
            return
        nav = self.navigator
        if how == "cancel":
            services.package_cancel(
                actor=nav, package=package, reason="Moved away", cancelled_on=NOW.date(), now=NOW
            )
        elif how == "end":
            services.package_end(
                actor=nav, package=package, reason="Care done", ended_on=NOW.date(), now=NOW
            )
        elif how == "hours":
            hours = data.draw(st.sampled_from([Decimal("0"), Decimal("7.5"), Decimal("30")]))
            services.package_hours_change(
                actor=nav, package=package, hours=hours, reason="Review", now=NOW
            )
        else:
            (batch,) = services.batches_create(
                actor=nav, package_ids=[package.pk], reason="Leaving"
            )
            services.batch_send(actor=nav, batch=batch, now=NOW)

    @rule(data=st.data())
    def withdraw(self, data):
        package = self.pick(data, PackageStatus.OFFERED)
        if package is not None:
            services.package_withdraw(actor=self.navigator, package=package, reason="Not needed")

    @invariant()
    def kept_equals_recount(self):
        recount = holdings.recount()
        assert holdings.stored() == recount
        ids = [b.provider_id for b in self.branches]
        assert hours_held(ids) == {pk: recount.get(pk, Decimal(0)) for pk in ids}


def test_kept_hours_equal_a_recount_after_random_writes():
    run_state_machine_as_test(
        ProviderHoursMachine,
        settings=settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


# --- Hand-made cases ------------------------------------------------------------------------------


def test_award_hours_change_reallocation_and_end_move_the_hours(django_assert_num_queries):
    """A holds 10 + 3.5 = 13.5 hours; the 3.5 rise to 5 (16.5); the 10-hour package moves in an
    L4 round (A 5) and is awarded to B (B 10); B's ends (P2: B 0); A's is cancelled (A 0)."""
    ward, (a, b, _c) = make_market()
    nav = UserFactory(role=Role.NAVIGATOR)
    ten, small = sent(ward, "10"), sent(ward, "3.5")
    award_to(ten, a, nav)
    award_to(small, a, nav)
    assert holdings.stored() == {a.provider_id: Decimal("13.5")}
    services.package_hours_change(actor=nav, package=small, hours=Decimal(5), reason="Review")
    assert holdings.stored() == {a.provider_id: Decimal("15")}
    (batch,) = services.batches_create(actor=nav, package_ids=[ten.pk], reason="A leaves")
    services.batch_send(actor=nav, batch=batch, now=NOW)
    assert holdings.stored() == {a.provider_id: Decimal("5")}
    ten.refresh_from_db()
    award_to(ten, b, nav)
    assert holdings.stored() == {a.provider_id: Decimal("5"), b.provider_id: Decimal("10")}
    with django_assert_num_queries(1):  # one indexed query on the kept table
        assert hours_held([a.provider_id, b.provider_id, _c.provider_id]) == {
            a.provider_id: Decimal("5"),
            b.provider_id: Decimal("10"),
            _c.provider_id: Decimal(0),
        }
    ten.refresh_from_db()
    services.package_end(actor=nav, package=ten, reason="Done", ended_on=NOW.date(), now=NOW)
    small.refresh_from_db()
    services.package_cancel(
        actor=nav, package=small, reason="Moved", cancelled_on=NOW.date(), now=NOW
    )
    assert holdings.stored() == {} == holdings.recount()


def test_a_refused_award_moves_no_hours():
    """The award's writes and the hours move in one transaction: a second award is refused and
    the first provider's hours stay as they were."""
    ward, (a, b, _c) = make_market()
    nav = UserFactory(role=Role.NAVIGATOR)
    package = sent(ward, "12")
    award_to(package, a, nav)
    offer_b = package.offers.get(branch=b)
    with pytest.raises(services.BrokerageError):
        services.package_award(actor=nav, package=package, offer=offer_b, now=NOW)
    assert holdings.stored() == {a.provider_id: Decimal("12")}


def test_rebuild_command_restores_the_kept_hours():
    ward, (a, _b, _c) = make_market()
    award_to(sent(ward, "7"), a, UserFactory(role=Role.NAVIGATOR))
    ProviderHours.objects.update(hours=Decimal("999"))
    call_command("rebuild_kpi_summary", "--all")
    assert holdings.stored() == {a.provider_id: Decimal("7")}
