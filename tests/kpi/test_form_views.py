"""K6, K9: the risk page's and the settings page's forms each post to their own view (issue 9.6);
a form with errors comes back on its page with a GOV.UK error summary, a refusal from the service
too, and the pages' forms post to these views."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from core.models import AuditEvent
from kpi.models import ActionPlan, DiscountedQuarter, FirstDueQuarter, RiskProfile

pytestmark = pytest.mark.django_db


def test_the_risk_page_forms_post_to_their_own_views(client, carl, provider_a):
    client.force_login(carl)
    page = client.get(reverse("kpi:risk-detail", args=["PA"])).content.decode()
    assert 'action="/kpi/risk/PA/profile/"' in page and 'action="/kpi/risk/PA/plan/"' in page
    assert 'name="form"' not in page


def test_a_contract_manager_saves_a_profile_adds_an_action_and_marks_it_met(
    client, carl, provider_a
):
    client.force_login(carl)
    saved = client.post(
        reverse("kpi:risk-profile", args=["PA"]), {"level": "high", "summary": "No answers"}
    )
    assert saved.status_code == 302 and saved["Location"] == "/kpi/risk/PA/"
    added = client.post(
        reverse("kpi:risk-plan", args=["PA"]), {"action": "Call weekly", "due_on": "2026-09-30"}
    )
    assert added.status_code == 302
    plan = ActionPlan.objects.get(provider=provider_a)
    marked = client.post(
        reverse("kpi:risk-plan-status", args=["PA"]), {"plan": plan.pk, "status": "met"}
    )
    assert marked.status_code == 302
    assert RiskProfile.objects.get(provider=provider_a).level == "high"
    assert ActionPlan.objects.get().status == "met"
    assert AuditEvent.objects.filter(action__startswith="kpi.").count() == 3
    page = client.get(reverse("kpi:risk-detail", args=["PA"])).content.decode()
    assert 'action="/kpi/risk/PA/plan/status/"' not in page  # no open action left to mark


def test_a_profile_with_errors_comes_back_on_the_risk_page(client, carl, provider_a):
    client.force_login(carl)
    response = client.post(reverse("kpi:risk-profile", args=["PA"]), {"level": "high"})
    assert response.status_code == 200
    assert response.context["profile_form"].errors["summary"]
    assert not response.context["plan_form"].is_bound
    assert "<title>Error: " in response.content.decode()
    assert not RiskProfile.objects.exists()


def test_another_providers_plan_cannot_be_marked_through_this_provider(
    client, carl, provider_a, provider_b
):
    plan = ActionPlan.objects.create(provider=provider_b, action="x", due_on=date(2026, 9, 30))
    client.force_login(carl)
    response = client.post(
        reverse("kpi:risk-plan-status", args=["PA"]), {"plan": plan.pk, "status": "met"}
    )
    assert response.status_code == 404
    assert ActionPlan.objects.get().status == "open"


def test_the_form_views_answer_a_get_with_405_and_a_provider_with_403(client, carl, olivia):
    client.force_login(carl)
    assert client.get(reverse("kpi:discount-add")).status_code == 405
    client.force_login(olivia)
    assert client.post(reverse("kpi:discount-add"), {"quarter": "2025-26-Q1"}).status_code == 403
    assert not DiscountedQuarter.objects.exists()


def test_the_settings_forms_discount_count_again_and_set_the_first_due_quarter(
    client, carl, provider_a
):
    client.force_login(carl)
    page = client.get(reverse("kpi:settings")).content.decode()
    assert (
        'action="/kpi/settings/discounted/"' in page and 'action="/kpi/settings/first-due/"' in page
    )
    added = client.post(
        reverse("kpi:discount-add"), {"quarter": "2025-26-Q1", "reason": "Reporting problems"}
    )
    assert added.status_code == 302 and added["Location"] == "/kpi/settings/"
    item = DiscountedQuarter.objects.get(quarter="2025-26-Q1")
    removed = client.post(reverse("kpi:discount-remove"), {"item": item.pk})
    assert removed.status_code == 302 and not DiscountedQuarter.objects.exists()
    first = client.post(
        reverse("kpi:first-due"),
        {"provider": "PA", "quarter": "2026-27-Q1", "reason": "Late start"},
    )
    assert first.status_code == 302
    assert FirstDueQuarter.objects.get(provider=provider_a).quarter == "2026-27-Q1"


def test_discounting_a_quarter_twice_shows_the_refusal_above_the_discount_form(client, carl):
    client.force_login(carl)
    data = {"quarter": "2025-26-Q1", "reason": "Reporting problems"}
    client.post(reverse("kpi:discount-add"), data)
    again = client.post(reverse("kpi:discount-add"), data)
    assert again.status_code == 200
    assert again.context["discount_form"].non_field_errors() == [
        "2025-26-Q1 is already discounted."
    ]
    assert not again.context["first_due_form"].is_bound


def test_the_settings_pages_two_forms_label_their_own_fields(client, carl, provider_a):
    """Both forms have a quarter and a reason: each label is for its own form's field, and no id
    is on the page twice (the first-due form's labels were for the discount form's fields)."""
    import re

    client.force_login(carl)
    page = client.get(reverse("kpi:settings")).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for form in ("discount", "first-due"):
        for field in ("quarter", "reason"):
            assert f'for="{form}-{field}"' in page and f'id="{form}-{field}"' in page
    assert '<option value="PA">Amber Homecare Ltd (PA)</option>' in page
