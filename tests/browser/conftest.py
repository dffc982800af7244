"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against pytest-django's
live server.

Never run `playwright install`: the browser is the system one at /usr/bin/chromium (or $CHROMIUM).
Every test here is marked `browser`; tests/conftest.py skips them when Chromium is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, in_ci

# Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls from it
# ("You cannot call this from an async context") unless told the use is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What the browser complained about while a test ran: console errors (CSP violations among
    them) and every response of 400 or more (missing static files, broken links)."""

    console: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        assert not self.console, "browser console errors:\n" + "\n".join(self.console)
        assert not self.bad_responses, "failed requests:\n" + "\n".join(self.bad_responses)


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


def _watched_page(browser, problems: PageProblems, **context_options):
    """A page in a fresh context whose console errors and 4xx/5xx responses go to `problems`."""
    context = browser.new_context(**context_options)
    page = context.new_page()

    def on_console(msg) -> None:
        if msg.type == "error":
            problems.console.append(f"{msg.type}: {msg.text} ({msg.location['url']})")

    def on_response(resp) -> None:
        if resp.status >= 400:
            problems.bad_responses.append(f"{resp.status} {resp.request.resource_type} {resp.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda err: problems.console.append(f"pageerror: {err}"))
    page.on("response", on_response)
    return context, page


@pytest.fixture
def page(browser, problems) -> Iterator:
    """A fresh desktop-width page, watched by `problems` (a test that expects an error page
    simply does not call `problems.assert_none()`)."""
    context, page = _watched_page(browser, problems, viewport=DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, problems) -> Iterator:
    """The same on a 390x844 phone screen (an iPhone 12-15), touch and all."""
    context, page = _watched_page(
        browser, problems, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page
    context.close()


def signed_in(page, live_server, user) -> None:
    """Sign `user` in through the real sign-in form, as a person would, and wait for home."""
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG to screenshots/<name>.png (gitignored) for a human to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def assert_accessible(page, *, skip_rules: tuple[str, ...] = ()) -> None:
    """Run axe-core (shipped inside the axe-playwright-python wheel) over the page and fail on any
    WCAG 2.2 A/AA or best-practice violation, listing each rule, its help and the offending nodes.

    Skips the calling test when axe-playwright-python is not installed; in CI that fails it."""
    try:
        import axe_playwright_python as axe
    except ImportError:
        if in_ci():
            pytest.fail("CI: axe-playwright-python is not installed (pip install -e '.[test]')")
        pytest.skip("axe-playwright-python is not installed")
    script = (Path(axe.__file__).parent / "axe.min.js").read_text()
    page.evaluate(script)
    options = {
        "runOnly": {"type": "tag", "values": WCAG_AA_TAGS},
        "rules": {rule: {"enabled": False} for rule in skip_rules},
        "resultTypes": ["violations"],
    }
    result = page.evaluate("options => axe.run(document, options)", options)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {node['target']}: {node['html'][:160]}" for node in v["nodes"])
        for v in result["violations"]
    ]
    assert not violations, f"axe found problems on {page.url}:\n" + "\n".join(violations)


def assert_page_never_scrolls_sideways(page) -> None:
    # clientWidth, not window.innerWidth: on a phone Chromium zooms out to show an overflowing page
    # whole, and innerWidth grows with the page (568 for a 568 px page on a 390 px screen).
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                          && (!el.closest('.portal-table-container')
                              || getComputedStyle(el).position === 'absolute'))
            .slice(0, 5).map(el => el.tagName + '.' + el.className + ': ' +
                                   (el.textContent || '').trim().slice(0, 60))"""
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen: {wide}"
