"""The three triggers (K7) over several quarters, with --as-of, discounted quarters and late
joiners (K6), resets, idempotency and the e-mails."""

from datetime import date
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from kpi.models import DiscountedQuarter, FirstDueQuarter, KpiReturn, KpiTrigger
from kpi.services import KpiError, kpi_triggers_escalate, kpi_triggers_reset
from tests.factories import ProviderFactory, UserFactory

from .conftest import at


@pytest.fixture
def late_provider(db):
    """Joined the PDPS in February 2025: first owes 2025-26-Q1, due 15 July 2025 (K6)."""
    provider = ProviderFactory(
        ref="PL",
        name="Larch Care",
        joined_on=date(2025, 2, 10),
        contact_email="office@larch.example",
    )
    UserFactory(username="lena", role="provider_org", provider=provider, email="lena@larch.example")
    return provider


@pytest.fixture
def contract_managers(db):
    return [UserFactory(username="carl", role="contract_manager", email="carl@council.example")]


def escalate(when: str) -> str:
    out = StringIO()
    call_command("escalate_kpi_triggers", "--as-of", when, stdout=out)
    return out.getvalue()


def levels(provider):
    return list(
        KpiTrigger.objects.filter(provider=provider)
        .order_by("quarter")
        .values_list("quarter", "level")
    )


def test_nothing_is_owed_until_the_day_after_the_due_date(late_provider):
    """K6: 2025-26-Q1 is due 15 July 2025; the trigger comes on 16 July, not on the 15th."""
    escalate("2025-07-15T23:59")
    assert levels(late_provider) == []
    escalate("2025-07-16T06:00")
    assert levels(late_provider) == [("2025-26-Q1", 1)]


def test_the_ladder_over_three_quarters_mails_provider_then_senior_manager_then_council(
    late_provider, contract_managers, django_capture_on_commit_callbacks
):
    """K7: first missing return -> the provider; second -> its senior manager; third -> contract
    managers for legal advice. Every trigger is in the audit trail."""
    for when in ("2025-07-16T06:00", "2025-10-16T06:00", "2026-01-16T06:00"):
        with django_capture_on_commit_callbacks(execute=True):
            escalate(when)
    assert levels(late_provider) == [("2025-26-Q1", 1), ("2025-26-Q2", 2), ("2025-26-Q3", 3)]
    assert [sorted(m.to) for m in mail.outbox] == [
        ["lena@larch.example", "office@larch.example"],
        ["director@pl.example.org"],
        ["carl@council.example"],
    ]
    assert "breach notice" in mail.outbox[2].subject
    assert AuditEvent.objects.filter(action="kpi.trigger").count() == 3


def test_a_run_long_after_raises_every_owed_quarter_in_order(late_provider):
    """A first run in April 2026 finds Q1-Q3 missing: levels 1, 2, 3 (Q4 not yet due)."""
    result = kpi_triggers_escalate(as_of=at(2026, 4, 10, 6))
    assert levels(late_provider) == [("2025-26-Q1", 1), ("2025-26-Q2", 2), ("2025-26-Q3", 3)]
    assert result.by_level == {1: 1, 2: 1, 3: 1}


def test_running_twice_raises_nobody_twice(late_provider, django_capture_on_commit_callbacks):
    """K7: idempotent; the second run creates nothing and sends nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        escalate("2025-10-20T06:00")
    with django_capture_on_commit_callbacks(execute=True):
        second = escalate("2025-10-20T06:00")
    assert "0 trigger(s)" in second
    assert levels(late_provider) == [("2025-26-Q1", 1), ("2025-26-Q2", 2)]
    assert len(mail.outbox) == 2


def test_an_on_time_return_raises_nothing_and_a_late_one_a_trigger(late_provider):
    """K7: Q1 returned on 15 July (on time), Q2 returned on 20 October (late, due 15 October)."""
    common = {"visits": 1, "delivered": 1, "missed": 0, "late_starts": 0, "length_compliant": 1}
    KpiReturn.objects.create(
        provider=late_provider,
        quarter="2025-26-Q1",
        submitted_at=at(2025, 7, 15, 17),
        late=False,
        **common,
    )
    KpiReturn.objects.create(
        provider=late_provider,
        quarter="2025-26-Q2",
        submitted_at=at(2025, 10, 20, 9),
        late=True,
        **common,
    )
    kpi_triggers_escalate(as_of=at(2025, 10, 21, 6))
    trigger = KpiTrigger.objects.get(provider=late_provider)
    assert (trigger.quarter, trigger.level, trigger.missing) == ("2025-26-Q2", 1, False)


def test_discounted_quarters_are_not_owed(late_provider):
    """K6: the contract's first two quarters were discounted: no trigger for them."""
    DiscountedQuarter.objects.create(quarter="2025-26-Q1", reason="Reporting system problems")
    DiscountedQuarter.objects.create(quarter="2025-26-Q2", reason="Reporting system problems")
    kpi_triggers_escalate(as_of=at(2026, 1, 20, 6))
    assert levels(late_provider) == [("2025-26-Q3", 1)]


def test_a_late_joiner_owes_nothing_before_its_first_full_quarter(db):
    """K6: joined 2 October 2025 -> first owes 2025-26-Q4 (January-March), due 15 April 2026."""
    joiner = ProviderFactory(ref="PJ", joined_on=date(2025, 10, 2))
    kpi_triggers_escalate(as_of=at(2026, 4, 15, 6))
    assert levels(joiner) == []
    kpi_triggers_escalate(as_of=at(2026, 4, 16, 6))
    assert levels(joiner) == [("2025-26-Q4", 1)]


def test_the_first_due_quarter_can_be_overridden(late_provider):
    """K6: the contract manager moves Larch's first due quarter to 2025-26-Q3."""
    FirstDueQuarter.objects.create(provider=late_provider, quarter="2025-26-Q3")
    kpi_triggers_escalate(as_of=at(2026, 1, 20, 6))
    assert levels(late_provider) == [("2025-26-Q3", 1)]


def test_a_provider_that_left_the_pdps_is_not_chased(late_provider):
    late_provider.pdps_status = "left"
    late_provider.save()
    kpi_triggers_escalate(as_of=at(2026, 1, 20, 6))
    assert levels(late_provider) == []


def test_a_reset_starts_the_count_again_and_is_audited(late_provider, carl):
    """K7: after two triggers and a reset with a reason, the next missing return is level 1."""
    kpi_triggers_escalate(as_of=at(2025, 10, 20, 6))
    kpi_triggers_reset(actor=carl, provider=late_provider, reason="Agreed improvement plan")
    kpi_triggers_escalate(as_of=at(2026, 1, 20, 6))
    assert levels(late_provider) == [("2025-26-Q1", 1), ("2025-26-Q2", 2), ("2025-26-Q3", 1)]
    event = AuditEvent.objects.get(action="kpi.trigger_reset")
    assert event.reason == "Agreed improvement plan" and event.actor == carl
    assert event.before["level"] == 2


def test_a_reset_needs_a_reason_and_something_to_reset(late_provider, carl):
    with pytest.raises(KpiError, match="Say why"):
        kpi_triggers_reset(actor=carl, provider=late_provider, reason=" ")
    with pytest.raises(KpiError, match="no triggers"):
        kpi_triggers_reset(actor=carl, provider=late_provider, reason="tidy up")


def test_more_than_three_stays_at_level_three(late_provider):
    kpi_triggers_escalate(as_of=at(2026, 7, 20, 6))
    assert [lvl for _, lvl in levels(late_provider)] == [1, 2, 3, 3, 3]  # 2025-26-Q1 to 2026-27-Q1


def test_a_bad_as_of_is_refused_with_one_line(db):
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("escalate_kpi_triggers", "--as-of", "yesterday")
    assert KpiTrigger.objects.count() == 0
