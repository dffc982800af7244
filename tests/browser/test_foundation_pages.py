"""The foundation pages in a real browser: each role signs in and lands on its home page, A1 holds
(another provider's page is 404), sign-out and a failed sign-in behave, and every page loads its
GOV.UK styles and scripts with no CSP violation or missing static file.

Each test saves screenshots to screenshots/ for a human to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import CoverageFactory, WardFactory

from .conftest import assert_accessible, screenshot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coverage(branch_a1, branch_a2, branch_b1, ward):
    """Branch a1 covers three wards (one of them Fishwick), a2 one, b1 one."""
    wards = [ward] + [
        WardFactory(code=f"E050120{n:02d}", name=name, district=district)
        for n, (name, district) in enumerate(
            [("Ribbleton", "Preston"), ("Chorley East", "Chorley"), ("Bulk", "Lancaster")], start=2
        )
    ]
    CoverageFactory(branch=branch_a1, ward=wards[0])
    CoverageFactory(branch=branch_a1, ward=wards[1])
    CoverageFactory(branch=branch_a2, ward=wards[2])
    CoverageFactory(branch=branch_b1, ward=wards[3])
    return wards


def assert_govuk_styled(page) -> None:
    """The GOV.UK stylesheet and font loaded, and the JavaScript initialised (js-enabled set
    by the nonce'd inline script; govuk-frontend-supported means modules can run)."""
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" in font
    assert page.evaluate("document.fonts.check('19px \"GDS Transport\"')")
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))


def active_nav_item(page):
    return page.locator(".govuk-service-navigation__item--active a[aria-current='page']")


ROLES = [
    ("alice", "branch", "Amber Homecare Ltd, Preston branch"),
    ("olivia", "organisation", "Amber Homecare Ltd."),
    ("nina", "navigator", "Put packages of care out"),
    ("carl", "contract-manager", "Hold every provider to its KPIs"),
    ("rita", "reviewer", "Delegate trusted reviews"),
    ("adam", "admin", "You run the portal"),
]


@pytest.mark.parametrize(("persona", "label", "lead"), ROLES, ids=[r[1] for r in ROLES])
def test_each_role_signs_in_and_sees_its_home_page(
    request, page, live_server, problems, coverage, persona, label, lead
):
    user = request.getfixturevalue(persona)
    signed_in(page, live_server, user)

    expect(page).to_have_title("Home – Homecare brokerage portal")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main .govuk-body-l")).to_contain_text(lead)
    expect(page.locator(".govuk-phase-banner")).to_contain_text(user.get_role_display().lower())
    expect(active_nav_item(page)).to_have_text("Home")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_govuk_styled(page)
    screenshot(page, f"home-{label}")
    problems.assert_none()


def test_provider_nav_and_council_nav_differ(page, live_server, problems, alice, nina):
    signed_in(page, live_server, alice)
    nav = page.get_by_role("navigation", name="Menu")
    expect(nav.get_by_role("link", name="Offers")).to_be_visible()
    expect(nav.get_by_role("link", name="My organisation")).to_be_visible()
    expect(nav.get_by_role("link", name="Packages")).to_have_count(0)
    expect(nav.get_by_role("link", name="Providers")).to_have_count(0)
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    nav.get_by_role("link", name="Offers").click()
    expect(active_nav_item(page)).to_have_text("Offers")
    page.get_by_role("button", name="Sign out").click()

    signed_in(page, live_server, nina)
    nav.get_by_role("link", name="Packages").click()
    expect(active_nav_item(page)).to_have_text("Packages")
    expect(nav.get_by_role("link", name="Offers")).to_have_count(0)
    problems.assert_none()


def test_home_on_a_phone_has_a_working_menu_toggle(
    phone_page, live_server, problems, coverage, alice
):
    page = phone_page
    signed_in(page, live_server, alice)
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    screenshot(page, "phone-home-menu-closed")

    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Wards", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "phone-home-menu-open")
    assert_no_horizontal_overflow(page)
    problems.assert_none()


def assert_no_horizontal_overflow(page) -> None:
    """The page itself never scrolls sideways (wide tables scroll inside their own container)."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def test_branch_and_provider_pages_on_a_phone_do_not_scroll_sideways(
    phone_page, live_server, problems, coverage, olivia
):
    page = phone_page
    signed_in(page, live_server, olivia)
    branch = olivia.provider.branches.get(ref="A1")
    page.goto(f"{live_server.url}/providers/branches/{branch.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Preston branch")
    expect(page.get_by_role("table")).to_contain_text("Ribbleton")
    assert_no_horizontal_overflow(page)
    screenshot(page, "phone-branch")

    page.goto(f"{live_server.url}/providers/PA/")
    assert_no_horizontal_overflow(page)
    # The branches table is wider than a phone: it scrolls in a box a keyboard can reach.
    box = page.get_by_role("region", name="Branches (scrolls sideways)")
    expect(box).to_have_attribute("tabindex", "0")
    screenshot(page, "phone-provider-detail")
    problems.assert_none()


def test_provider_user_gets_404_for_another_providers_page(page, live_server, coverage, alice):
    signed_in(page, live_server, alice)
    response = page.goto(f"{live_server.url}/providers/PB/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    screenshot(page, "provider-404")

    branch_b1 = coverage[3].coverage.get().branch
    response = page.goto(f"{live_server.url}/providers/branches/{branch_b1.pk}/")
    assert response.status == 404


def test_sign_out_returns_to_sign_in(page, live_server, problems, nina):
    signed_in(page, live_server, nina)
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    screenshot(page, "sign-in")
    problems.assert_none()


def test_failed_sign_in_shows_the_error_summary(page, live_server, problems, nina):
    page.goto(f"{live_server.url}/sign-in/")
    assert_govuk_styled(page)
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    screenshot(page, "sign-in-error")
    problems.assert_none()


def test_provider_list(page, live_server, problems, coverage, carl):
    signed_in(page, live_server, carl)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Providers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Providers")
    expect(active_nav_item(page)).to_have_text("Providers")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Amber Homecare Ltd")
    expect(table).to_contain_text("Birch Care Services")
    screenshot(page, "provider-list")

    page.get_by_label("Name or reference").fill("Birch")
    page.get_by_role("button", name="Filter").click()
    expect(table).not_to_contain_text("Amber Homecare Ltd")
    problems.assert_none()


def test_provider_detail_and_branch_detail(page, live_server, problems, coverage, olivia):
    signed_in(page, live_server, olivia)
    page.get_by_role("link", name="My organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amber Homecare Ltd")
    expect(active_nav_item(page)).to_have_text("My organisation")
    expect(page.get_by_role("table")).to_contain_text("Chorley")
    screenshot(page, "provider-detail")

    page.get_by_role("link", name="Preston").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preston branch")
    expect(page.get_by_role("table")).to_contain_text("Fishwick")
    screenshot(page, "branch-detail")
    problems.assert_none()


def test_ward_list(page, live_server, problems, coverage, nina):
    signed_in(page, live_server, nina)
    page.get_by_role("link", name="Wards", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wards")
    expect(active_nav_item(page)).to_have_text("Wards")
    expect(page.get_by_role("table")).to_contain_text("E05012001")
    screenshot(page, "ward-list")
    problems.assert_none()


def test_keyboard_user_can_skip_to_main_content(page, live_server, nina):
    signed_in(page, live_server, nina)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    screenshot(page, "focus-skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()


def test_sign_out_button_lines_up_with_the_nav_links(page, live_server, nina):
    signed_in(page, live_server, nina)
    nav = page.get_by_role("navigation", name="Menu")
    home = nav.get_by_role("link", name="Home").bounding_box()
    sign_out = nav.get_by_role("button", name="Sign out").bounding_box()
    # The link is an inline box and the button an inline-block one, so compare centres.
    assert abs((home["y"] + home["height"] / 2) - (sign_out["y"] + sign_out["height"] / 2)) <= 1
    styles = "e => [getComputedStyle(e).fontSize, getComputedStyle(e).fontFamily]"
    assert nav.get_by_role("link", name="Home").evaluate(styles) == nav.get_by_role(
        "button", name="Sign out"
    ).evaluate(styles)
    page.get_by_role("button", name="Sign out").focus()
    screenshot(page, "focus-sign-out")


def test_admin_index_changelist_and_change_form(page, live_server, problems, coverage, adam):
    signed_in(page, live_server, adam)
    page.get_by_role("link", name="Administration").click()
    expect(page.locator("#site-name")).to_contain_text("Homecare brokerage portal administration")
    screenshot(page, "admin-index")

    page.goto(f"{live_server.url}/admin/providers/provider/")
    expect(page.locator("#result_list")).to_contain_text("Amber Homecare Ltd")
    screenshot(page, "admin-provider-changelist")

    page.locator("#result_list").get_by_role("link", name="PA", exact=True).click()
    expect(page.locator("#content h1")).to_be_visible()
    screenshot(page, "admin-provider-change")

    page.get_by_label("Senior manager name").fill("Sam Amber")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # The user form leans on the admin's JavaScript (filter_horizontal, calendar shortcuts).
    page.goto(f"{live_server.url}/admin/providers/user/{adam.pk}/change/")
    expect(page.locator("#id_groups_filter")).to_be_visible()
    expect(page.locator(".datetimeshortcuts").first).to_be_visible()
    screenshot(page, "admin-user-change")
    problems.assert_none()


def test_api_documentation_linked_from_the_footer_loads(page, live_server, problems, nina):
    signed_in(page, live_server, nina)
    page.get_by_role("link", name="API documentation").click()
    # Swagger UI runs an inline start-up script: it must carry the CSP nonce to run at all.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Homecare brokerage portal API"
    )
    screenshot(page, "api-docs")
    problems.assert_none()


PAGES = {
    "home": "/",
    "provider-list": "/providers/",
    "provider-detail": "/providers/PA/",
    "branch-detail": None,  # filled from the fixture: /providers/branches/<pk>/
    "ward-list": "/wards/",
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_pages_pass_axe_wcag_22_aa(
    request, page, phone_page, live_server, problems, coverage, carl, branch_a1, name, viewport
):
    the_page = phone_page if viewport == "phone" else page
    signed_in(the_page, live_server, carl)
    path = PAGES[name] or f"/providers/branches/{branch_a1.pk}/"
    the_page.goto(f"{live_server.url}{path}")
    assert_accessible(the_page)
    problems.assert_none()


@pytest.mark.parametrize("state", ["empty", "with-errors"])
def test_sign_in_page_passes_axe_wcag_22_aa(page, live_server, problems, nina, state):
    page.goto(f"{live_server.url}/sign-in/")
    if state == "with-errors":
        page.get_by_label("Username").fill("nina")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    problems.assert_none()


def test_too_many_failed_sign_ins_lock_the_account(page, live_server, nina):
    for _ in range(5):
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Username").fill("nina")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is locked")
    expect(page).to_have_title("Account locked – Homecare brokerage portal")
    screenshot(page, "sign-in-locked-out")
    assert_accessible(page)
