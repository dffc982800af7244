"""The KPI pages in Chromium (K4, K8): the contract-management dashboard and the provider's
self-view render their SVG charts beside their tables, with no CSP error, and pass axe.

Screenshots go to screenshots/kpi-*.png for a human to look at."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.models import Offer
from kpi.quarters import Quarter
from kpi.services import kpi_triggers_escalate
from tests.factories import BranchFactory, PackageFactory, ProviderFactory

from .conftest import SCREENSHOTS, assert_accessible, screenshot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    "Amber",
    "Birch",
    "Cedar",
    "Damson",
    "Elder",
    "Fir",
    "Ginkgo",
    "Hazel",
    "Ivy",
    "Juniper",
    "Kowhai",
    "Larch",
    "Maple",
    "Nettle",
]


@pytest.fixture
def kpi_market(ward, branch_a1, branch_a2, branch_b1):
    """Fourteen providers answering at different rates over the last four quarters, packages of
    every service level awarded over the past 14 months, and some triggers."""
    rng = random.Random(3)
    now = timezone.now()
    branches = [branch_a1, branch_b1] + [
        BranchFactory(provider=ProviderFactory(ref=f"P{n}", name=f"{n} Homecare"))
        for n in NAMES[2:]
    ]
    levels = [
        "homecare_single",
        "homecare_two",
        "stcah_single",
        "stcah_two",
        "homecare_variable",
        "short_breaks_rolling",
    ]
    packages = []
    for i in range(90):
        created = now - timedelta(days=rng.randint(0, 420))
        package = PackageFactory(
            ward=ward,
            service_level=levels[i % len(levels)],
            status="awarded",
            hours_per_week=rng.choice([7, 10, 14, 21]),
            awarded_at=created + timedelta(days=2),
        )
        type(package).objects.filter(pk=package.pk).update(created_at=created)
        packages.append(package)
    quarter = Quarter.containing(now)
    for back in range(4):
        start = quarter.start_at
        for b, branch in enumerate(branches):
            answer_rate = 0.99 - b * 0.05
            for k in range(12):
                sent = start + timedelta(days=k * 6 + 1, hours=11)
                if sent >= now:
                    continue
                r = rng.random()
                response = (
                    ("offer_made" if r < answer_rate * 0.6 else "unable_to_accept")
                    if r < answer_rate
                    else "no_response"
                )
                Offer.objects.create(
                    package=packages[(k + back * 12) % len(packages)],
                    branch=branch,
                    provider=branch.provider,
                    sent_at=sent,
                    deadline=sent + timedelta(days=3),
                    placement_response=response,
                    outcome="not_awarded",
                    offered_start_date=sent.date() if response == "offer_made" else None,
                ) if not Offer.objects.filter(
                    package=packages[(k + back * 12) % len(packages)], branch=branch
                ).exists() else None
        quarter = quarter.previous()
    for provider in type(branch_a1.provider).objects.all()[:6]:
        provider.joined_on = (
            date(2024, 1, 1)
            if provider.ref in ("P" + NAMES[3], "P" + NAMES[4])
            else now.date() - timedelta(days=200)
        )
        provider.save()
    kpi_triggers_escalate(as_of=now)
    return branches


def test_contract_managers_dashboard_charts_and_tables(
    page, live_server, problems, kpi_market, carl
):
    signed_in(page, live_server, carl)
    page.goto(f"{live_server.url}/kpi/dashboard/")
    expect(page.get_by_role("heading", name="Contract-management dashboard")).to_be_visible()
    assert page.locator("svg.kpi-chart").count() == 6
    expect(
        page.get_by_role("img", name="Market response rate by quarter, with the 95% target")
    ).to_be_visible()
    expect(page.get_by_text("Birch Care Services").first).to_be_visible()
    screenshot(page, "kpi-dashboard")
    for n in range(6):  # each chart on its own, at full size, to read its labels
        page.locator("svg.kpi-chart").nth(n).screenshot(
            path=str(SCREENSHOTS / f"kpi-chart-{n}.png")
        )
    assert_accessible(page)
    problems.assert_none()


def test_provider_self_view_marks_you_in_the_market_spread(
    page, live_server, problems, kpi_market, olivia
):
    signed_in(page, live_server, olivia)
    page.goto(f"{live_server.url}/kpi/my/")
    expect(page.get_by_role("heading", name="Your response, offer and award rates")).to_be_visible()
    expect(page.get_by_text("You are in the top")).to_be_visible()
    assert "Birch" not in page.content()
    screenshot(page, "kpi-self-view")
    page.locator("svg.kpi-chart").screenshot(path=str(SCREENSHOTS / "kpi-self-view-chart.png"))
    page.get_by_role("link", name="Last 90 days", exact=True).click()
    assert_accessible(page)
    problems.assert_none()
