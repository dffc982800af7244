"""K7 under real concurrency: escalation on several workers at once (STYLE 13)."""

from datetime import date

import pytest
from django.core import mail

from kpi.models import KpiTrigger
from kpi.services import kpi_triggers_escalate
from notifications.models import Notification
from tests.brokerage.test_concurrency import run_at_once
from tests.factories import ProviderFactory, UserFactory

from .conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_workers_escalating_at_once_raise_each_trigger_and_email_once():
    """40 providers each owe three missing returns: 120 triggers, levels 1-3 each, 120 e-mails."""
    UserFactory(username="carl", role="contract_manager", email="carl@council.example")
    providers = [
        ProviderFactory(joined_on=date(2025, 2, 1), contact_email=f"p{i}@example.org")
        for i in range(40)
    ]
    results = run_at_once(4, lambda i: kpi_triggers_escalate(as_of=at(2026, 4, 10, 6)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 120
    for provider in providers:
        assert sorted(
            KpiTrigger.objects.filter(provider=provider).values_list("level", flat=True)
        ) == [1, 2, 3]
    assert Notification.objects.filter(kind="trigger", state="sent").count() == 120
    assert len(mail.outbox) == 120
