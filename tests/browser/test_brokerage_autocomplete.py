"""The create-package ward list (over 200 wards) is a type-ahead (GOV.UK accessible-autocomplete)
over the plain select, which still works without JavaScript (I1: usable on a phone, WCAG 2.2 AA).

Screenshots go to screenshots/ for a human to look at."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from brokerage.models import Package
from tests.factories import PackageFactory, WardFactory

from .conftest import SCREENSHOTS, assert_page_never_scrolls_sideways, screenshot, signed_in
from .conftest import assert_accessible as axe_clean

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGET = "Ribbleton, Preston (E05012002)"


@pytest.fixture
def wards(ward):
    """Fishwick (E05012001) among sixty wards, three of them sharing the start 'Ribble'."""
    WardFactory(code="E05012002", name="Ribbleton", district="Preston")
    WardFactory(code="E05012003", name="Ribble Valley North", district="Ribble Valley")
    WardFactory(code="E05012004", name="Ribblesdale", district="Ribble Valley")
    for n in range(56):
        WardFactory(code=f"E0509{n:04d}", name=f"Ward {n:02d}", district="Lancaster")
    return ward


def fill_the_rest(page) -> None:
    page.get_by_label("Package reference").fill("ASC-2026-0777")
    page.get_by_label("Postcode").fill("PR2 6AB")
    page.get_by_label("Homecare – Single Carer", exact=True).check()
    page.get_by_label("Hours of care a week").fill("7")
    page.get_by_label("Call pattern").fill("1 call a day")
    page.get_by_label("No preference").check()
    page.get_by_label("Standard", exact=True).check()
    start = date.today() + timedelta(days=28)  # within the year the package bounds allow (14.4)
    page.get_by_label("Day").fill(str(start.day))
    page.get_by_label("Month").fill(str(start.month))
    page.get_by_label("Year").fill(str(start.year))
    page.get_by_label("Summary of needs").fill("Meals and medication prompts.")


def assert_accessible(page) -> None:
    """axe over the page. The Back link sits above <main> in base.html; until that layout puts it
    in a landmark (accessibility work outside this page), axe's "region" rule is left out."""
    back_outside_landmark = page.evaluate(
        "[...document.querySelectorAll('.govuk-back-link')].some(a => !a.closest("
        "'main, header, footer, nav, aside, section[aria-label], [role]'))"
    )
    axe_clean(page, skip_rules=("region",) if back_outside_landmark else ())


def close_up(page, name: str) -> None:
    """A screenshot of the ward question alone, list open, for a human to look at closely."""
    SCREENSHOTS.mkdir(exist_ok=True)
    group = page.locator(".govuk-form-group").filter(has=page.get_by_label("Ward", exact=True))
    group.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def assert_no_horizontal_scroll(page) -> None:
    assert_page_never_scrolls_sideways(page)


def test_navigator_types_part_of_a_ward_name_and_gets_that_ward(
    page, live_server, problems, wards, nina
):
    signed_in(page, live_server, nina)
    page.goto(f"{live_server.url}/packages/new/")
    ward = page.get_by_label("Ward", exact=True)
    expect(ward).to_have_attribute("role", "combobox")  # the select became a type-ahead
    expect(ward).to_have_value("")  # not the empty option's "Choose a ward"
    expect(page.locator("select[name=ward]")).to_be_hidden()
    assert_accessible(page)

    ward.fill("ribble")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(3)
    expect(options.first).to_have_text(TARGET)
    screenshot(page, "brokerage-ward-autocomplete")
    close_up(page, "brokerage-ward-autocomplete-close-up")
    assert_accessible(page)  # with the list open
    page.get_by_role("option", name=TARGET).click()
    expect(ward).to_have_value(TARGET)
    expect(page.locator("select[name=ward]")).to_have_value("E05012002")

    fill_the_rest(page)
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "ASC-2026-0777 saved as a draft"
    )
    package = Package.objects.get(reference="ASC-2026-0777")
    assert package.ward.code == "E05012002"
    problems.assert_none()


def test_a_cleared_ward_is_an_error_and_the_error_reaches_the_type_ahead(
    page, live_server, problems, wards, nina
):
    """Clearing the box after a pick sends no ward (not the pick the user can no longer see), and
    the error message describes the type-ahead as it did the select (WCAG 1.3.1)."""
    signed_in(page, live_server, nina)
    page.goto(f"{live_server.url}/packages/new/")
    ward = page.get_by_label("Ward", exact=True)
    ward.fill("Fishw")
    page.get_by_role("option", name="Fishwick, Preston (E05012001)").click()
    ward.fill("")
    fill_the_rest(page)
    page.get_by_role("button", name="Save as draft").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose the ward")
    ward = page.get_by_label("Ward", exact=True)
    expect(ward).to_have_attribute("aria-describedby", re.compile(r"(^| )id_ward-error( |$)"))
    expect(ward).to_have_class(
        "autocomplete__input autocomplete__input--default portal-autocomplete__input--error"
    )
    summary.get_by_role("link", name="Choose the ward").click()
    expect(ward).to_be_focused()
    screenshot(page, "brokerage-ward-autocomplete-error")
    close_up(page, "brokerage-ward-autocomplete-error-close-up")
    assert_accessible(page)
    assert not Package.objects.filter(reference="ASC-2026-0777").exists()
    problems.assert_none()


def test_ward_type_ahead_fits_a_phone(phone_page, live_server, problems, wards, nina):
    page = phone_page
    signed_in(page, live_server, nina)
    page.goto(f"{live_server.url}/packages/new/")
    ward = page.get_by_label("Ward", exact=True)
    ward.fill("ribble")
    expect(page.get_by_role("option", name=TARGET)).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "phone-brokerage-ward-autocomplete")
    close_up(page, "phone-brokerage-ward-autocomplete-close-up")
    assert_accessible(page)
    problems.assert_none()


def test_without_javascript_the_plain_select_still_works(browser, live_server, wards, nina):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        signed_in(page, live_server, nina)
        page.goto(f"{live_server.url}/packages/new/")
        page.get_by_label("Ward", exact=True).select_option("E05012002")
        fill_the_rest(page)
        page.get_by_role("button", name="Save as draft").click()
        page.wait_for_url(f"{live_server.url}/packages/*/")
        assert Package.objects.get(reference="ASC-2026-0777").ward.code == "E05012002"
    finally:
        context.close()


def test_editing_a_package_keeps_its_ward_without_typing_it_again(
    page, live_server, problems, wards, nina
):
    """The type-ahead starts with the ward the package already has: a navigator changing only
    the hours saves the package with its ward, not an error asking for one."""
    package = PackageFactory(ward=wards, status="draft", hours_per_week=7)
    signed_in(page, live_server, nina)
    page.goto(f"{live_server.url}/packages/{package.pk}/edit/")
    ward = page.get_by_label("Ward", exact=True)
    expect(ward).to_have_attribute("role", "combobox")
    expect(ward).to_have_value("Fishwick, Preston (E05012001)")
    page.get_by_label("Hours of care a week").fill("9")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    package.refresh_from_db()
    assert (package.ward_id, package.hours_per_week) == (wards.pk, 9)
    problems.assert_none()
