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
from kpi.models import FirstDueQuarter
from kpi.quarters import Quarter
from kpi.services import kpi_triggers_escalate
from tests.factories import BranchFactory, PackageFactory, ProviderFactory

from .conftest import (
    PHONE,
    SCREENSHOTS,
    assert_accessible,
    assert_page_never_scrolls_sideways,
    screenshot,
    signed_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASONS = (
    ["no_capacity"] * 5 + ["call_times"] * 3 + ["carer_gender", "out_of_area", "needs", "other"]
)
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
                answered = sent + timedelta(hours=rng.uniform(0.5, 40) * (1 + b / 4))  # K11
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
                    reason=rng.choice(REASONS) if response == "unable_to_accept" else "",
                    responded_at=answered if response != "no_response" else None,
                    first_responded_at=answered if response != "no_response" else None,
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


# Each dashboard table whose right edge is past its box's content (the column, or the space beside
# or beneath its chart, it is laid out in), but those in a box that scrolls sideways.
TABLES_STICKING_OUT = """() => [...document.querySelectorAll('#main-content table')]
    .filter(t => !t.closest('.portal-table-container'))
    .filter(t => {
        const box = t.parentElement;
        const edge = box.getBoundingClientRect().right - parseFloat(getComputedStyle(box).paddingRight);
        return t.getBoundingClientRect().right > edge + 0.5;
    })
    .map(t => t.caption.textContent.trim())"""


def test_contract_managers_dashboard_charts_and_tables(
    page, live_server, problems, kpi_market, carl
):
    page.set_viewport_size({"width": 1200, "height": 900})  # where K1's table overflowed its column
    signed_in(page, live_server, carl)
    page.goto(f"{live_server.url}/kpi/dashboard/")
    expect(page.get_by_role("heading", name="Contract-management dashboard")).to_be_visible()
    assert page.locator("svg.kpi-chart").count() == 8
    expect(
        page.get_by_role("img", name="Market response rate by quarter, with the 95% target")
    ).to_be_visible()
    expect(page.get_by_text("Birch Care Services").first).to_be_visible()
    # Every table fits beside its chart or beneath it, not one scrolling sideways or over the page.
    assert page.evaluate(TABLES_STICKING_OUT) == []
    fits = "boxes => boxes.every(box => box.scrollWidth <= box.clientWidth)"
    assert page.locator(".kpi-figure .portal-table-container").evaluate_all(fits)
    assert_page_never_scrolls_sideways(page)
    screenshot(page, "kpi-dashboard")
    for n in range(8):  # each chart on its own, at full size, to read its labels
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


@pytest.fixture
def medium_market(ward, branch_a1, branch_b1):
    """In the last 90 days Amber answered 17 offers of 19 (89.5%: medium risk, K2) and Birch 20
    of 20."""
    now = timezone.now()
    for branch, answered, missed in ((branch_a1, 17, 2), (branch_b1, 20, 0)):
        for n in range(answered + missed):
            sent = now - timedelta(days=5 + n, hours=3)
            Offer.objects.create(
                package=PackageFactory(ward=ward, status="offered"),
                branch=branch,
                provider=branch.provider,
                sent_at=sent,
                deadline=sent + timedelta(days=3),
                placement_response="unable_to_accept" if n < answered else "no_response",
                reason="no_capacity" if n < answered else "",
                outcome="not_awarded",
            )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_my_kpis_in_the_medium_band_is_amber_and_says_so(
    request, live_server, problems, medium_market, olivia, size
):
    """K2: 89.5% is below the 95% target: an amber panel saying "Medium risk", never green."""
    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    signed_in(page, live_server, olivia)
    page.goto(f"{live_server.url}/kpi/my/")
    panel = page.locator(".kpi-standing")
    expect(panel).to_contain_text("89.5%")
    expect(panel).to_contain_text("Medium risk: below the 95% target, at or above 80%")
    assert "kpi-panel--medium" in (panel.get_attribute("class") or "")
    assert panel.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(244, 119, 56)"
    screenshot(page, f"kpi-my-medium-{size}")
    assert_accessible(page)
    problems.assert_none()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_return_upload_lists_quarters_owed_and_gives_govuk_errors(
    request, live_server, problems, olivia, size
):
    """K6: the quarters owed with their due dates, the oldest chosen; an upload with no file says
    "Select a visit file" in the error summary and beside the field."""
    provider = olivia.provider
    provider.joined_on = date(2025, 10, 1)  # first owes 2025-26-Q3
    provider.save()
    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    signed_in(page, live_server, olivia)
    page.goto(f"{live_server.url}/kpi/returns/new/")
    first = str(Quarter.parse("2025-26-Q3"))
    expect(page.locator(f'input[name="quarter"][value="{first}"]')).to_be_checked()
    expect(page.get_by_text("Overdue: was due 15 January 2026")).to_be_visible()
    page.get_by_role("button", name="Upload the return").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select a visit file")
    expect(page.locator("#id_file-error")).to_contain_text("Select a visit file")
    screenshot(page, f"kpi-return-upload-error-{size}")
    assert_accessible(page)
    problems.assert_none()


def test_a_contract_manager_chooses_the_provider_then_sees_nothing_owed(
    page, live_server, problems, provider_a, carl
):
    """K6: the provider first; a provider that joined this quarter owes nothing yet, said plainly."""
    signed_in(page, live_server, carl)
    page.goto(f"{live_server.url}/kpi/returns/new/")
    page.get_by_label("Which provider is this return for?").fill("amber")  # typed ahead
    page.get_by_role("option", name="Amber Homecare Ltd (PA)").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Amber Homecare Ltd has no KPI returns to make.")).to_be_visible()
    screenshot(page, "kpi-return-nothing-owed")
    assert_accessible(page)
    problems.assert_none()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_k11_dashboard_response_time_section(page, live_server, problems, kpi_market, carl, size):
    """K11 beside K1: the market's median hours to answer by quarter, as a chart and a table."""
    if size == "phone":
        page.set_viewport_size(PHONE)
    signed_in(page, live_server, carl)
    page.goto(f"{live_server.url}/kpi/dashboard/#response-times")
    chart = page.get_by_role(
        "img", name="Market median hours from an offer being sent to its first answer, by quarter"
    )
    expect(chart).to_be_visible()
    expect(page.get_by_role("columnheader", name="Median time to answer")).to_be_visible()
    section = page.locator("#response-times + p + .kpi-figure")
    section.screenshot(path=str(SCREENSHOTS / f"kpi-response-times-{size}.png"))
    page.locator("#providers ~ .portal-table-container").screenshot(
        path=str(SCREENSHOTS / f"kpi-provider-matrix-{size}.png")
    )
    # On a phone a table wider than the screen (K1's five columns) scrolls in its own box; the
    # page itself never scrolls sideways.
    assert page.evaluate(TABLES_STICKING_OUT) == []
    assert_page_never_scrolls_sideways(page)
    assert_accessible(page)
    problems.assert_none()


@pytest.mark.parametrize("size", ["desktop", "phone", "phone-320"])
@pytest.mark.parametrize("by", ["service_level", "ward"])
def test_k12_dashboard_market_gaps_section(page, live_server, problems, kpi_market, carl, size, by):
    """K12: decline reasons by service level (and by ward) for the current quarter, as a chart
    and a table, the grouping chosen on the section's own form. On a phone (320 and 390 px) the
    table never scrolls sideways: each row is a block with its figures named (GOV.UK pattern)."""
    page.set_viewport_size({**PHONE, "width": 320} if size == "phone-320" else PHONE)
    if size == "desktop":
        page.set_viewport_size({"width": 1280, "height": 900})
    signed_in(page, live_server, carl)
    page.goto(f"{live_server.url}/kpi/dashboard/#market-gaps")
    page.get_by_label("Count by").select_option(by)
    page.get_by_role("button", name="Show market gaps").click()
    quarter = Quarter.containing(timezone.now())
    label = {"service_level": "service level", "ward": "ward"}[by]
    expect(
        page.get_by_role("heading", name=f"Decline reasons by {label}, {quarter}")
    ).to_be_visible()
    table = page.get_by_role("table", name=f"by {label}, {quarter}")
    expect(table.get_by_role("columnheader", name="Packages with no Offer Made")).to_have_count(1)
    expect(table.get_by_role("rowheader", name="All")).to_have_count(1)
    box = page.locator(".portal-table-container", has=table)
    sideways = box.evaluate("el => el.scrollWidth - el.clientWidth")
    shown_labels = table.locator(".portal-stacked-table__label").first.is_visible()
    if size == "desktop":
        assert not shown_labels  # the ordinary table, its names in the header row
    else:
        assert sideways <= 0, f"the market-gaps table scrolls {sideways}px sideways at {size}"
        assert shown_labels  # each figure named beside it
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="All"))
        assert row.evaluate("el => getComputedStyle(el).display") == "block"
    where = "el => el.getBoundingClientRect().top + window.scrollY"  # in the page, not the view
    top = page.locator("#market-gaps").evaluate(where)
    bottom = page.locator("#providers").evaluate(where)
    width = page.viewport_size["width"]
    page.screenshot(
        path=str(SCREENSHOTS / f"kpi-market-gaps-{by}-{size}.png"),
        full_page=True,
        clip={"x": 0, "y": top - 10, "width": width, "height": bottom - top},
    )
    assert_accessible(page)
    problems.assert_none()


def test_the_first_quarter_owed_is_set_for_a_provider_typed_ahead(
    page, live_server, problems, provider_a, provider_b, carl
):
    """K6's override on the settings page: the provider is found by typing part of its name (a
    national market lists thousands), and the override is listed once saved."""
    signed_in(page, live_server, carl)
    page.goto(f"{live_server.url}/kpi/settings/")
    form = page.locator('form[action="/kpi/settings/first-due/"]')
    provider = form.get_by_label("Provider", exact=True)
    provider.fill("homecare")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)
    options.first.click()
    assert provider.input_value() == "Amber Homecare Ltd (PA)"
    form.get_by_label("Quarter").fill("2026-27-Q1")
    form.get_by_label("Reason").fill("Joined late")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Amber Homecare Ltd", exact=False).first).to_be_visible()
    assert FirstDueQuarter.objects.get(provider=provider_a).quarter == "2026-27-Q1"
    screenshot(page, "kpi-settings-first-due")
    assert_accessible(page)
    problems.assert_none()
