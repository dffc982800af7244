"""Shared fixtures: the named personas of STYLE 10.

Provider A has two branches (a1, a2); provider B has one (b1). Alice works at branch a1, Olivia at
provider A's head office, Bob at provider B; Nina navigates, Carl manages contracts, Rita reviews,
Adam administers.
"""

import os

import pytest
from django.db import connection

from providers.models import Role

from .factories import BranchFactory, ProviderFactory, UserFactory, WardFactory

PASSWORD = "correct-horse-battery"


def in_ci() -> bool:
    """Running under continuous integration (.ci/run sets CI=true)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def pytest_collection_modifyitems(config, items):
    """Skip what this machine cannot run, saying why (the run lists skips with -ra).

    In CI a browser test must never be skipped (a failed Chromium install once turned 37 of them
    into a green run): a missing Chromium stops the run instead. PostgreSQL and Redis tests are
    skipped on the SQLite leg as anywhere else."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    has_redis = bool(os.environ.get("REDIS_URL"))
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    has_chromium = os.path.exists(chromium)
    browser_items = [item for item in items if "browser" in item.keywords]
    if browser_items and not has_chromium and in_ci():
        raise pytest.UsageError(
            f"CI: {len(browser_items)} browser test(s) selected but Chromium is missing at "
            f"{chromium}; they must run in CI, not be skipped (scripts/test.sh installs Debian's "
            "chromium as root)."
        )
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(pytest.mark.skip(reason=f"needs Debian's Chromium at {chromium}"))


@pytest.fixture(autouse=True)
def _no_closed_quarter_kept():
    """Each test has a database of its own: no closed quarter's rows kept from another's (issue 13,
    `kpi.closed_quarters`; a rolled-back test can leave the record of changes as it found it)."""
    from django.core.cache import cache

    from kpi import closed_quarters

    closed_quarters.forget()
    cache.clear()  # nor a dashboard kept under a number a rolled-back test moved (core.changes)


_SKIPPED_BROWSER_TESTS: list[str] = []


def pytest_runtest_logreport(report):
    """Remember browser tests skipped for any reason (a marker, importorskip, pytest.skip)."""
    if report.skipped and "browser" in report.keywords:
        _SKIPPED_BROWSER_TESTS.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """In CI, a skipped browser test fails the run: it tested nothing."""
    if _SKIPPED_BROWSER_TESTS and in_ci() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _SKIPPED_BROWSER_TESTS and in_ci():
        terminalreporter.section("browser tests skipped in CI", sep="=", red=True, bold=True)
        terminalreporter.line(
            f"{len(_SKIPPED_BROWSER_TESTS)} browser test(s) were skipped; in CI that fails the run:"
        )
        for nodeid in _SKIPPED_BROWSER_TESTS:
            terminalreporter.line(f"  {nodeid}")


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def provider_a(db):
    return ProviderFactory(ref="PA", name="Amber Homecare Ltd")


@pytest.fixture
def provider_b(db):
    return ProviderFactory(ref="PB", name="Birch Care Services")


@pytest.fixture
def branch_a1(provider_a):
    return BranchFactory(provider=provider_a, ref="A1", name="Preston")


@pytest.fixture
def branch_a2(provider_a):
    return BranchFactory(provider=provider_a, ref="A2", name="Chorley")


@pytest.fixture
def branch_b1(provider_b):
    return BranchFactory(provider=provider_b, ref="B1", name="Lancaster")


@pytest.fixture
def ward(db):
    return WardFactory(code="E05012001", name="Fishwick", district="Preston")


@pytest.fixture
def alice(branch_a1):
    """A branch user of provider A (branch a1)."""
    return UserFactory(
        username="alice", role=Role.PROVIDER_BRANCH, provider=branch_a1.provider, branch=branch_a1
    )


@pytest.fixture
def olivia(provider_a):
    """An organisation user of provider A."""
    return UserFactory(username="olivia", role=Role.PROVIDER_ORG, provider=provider_a)


@pytest.fixture
def bob(branch_b1):
    """A branch user of provider B."""
    return UserFactory(
        username="bob", role=Role.PROVIDER_BRANCH, provider=branch_b1.provider, branch=branch_b1
    )


@pytest.fixture
def brenda(provider_b):
    """An organisation user of provider B."""
    return UserFactory(username="brenda", role=Role.PROVIDER_ORG, provider=provider_b)


@pytest.fixture
def nina(db):
    return UserFactory(username="nina", role=Role.NAVIGATOR)


@pytest.fixture
def carl(db):
    return UserFactory(username="carl", role=Role.CONTRACT_MANAGER)


@pytest.fixture
def rita(db):
    return UserFactory(username="rita", role=Role.REVIEWER)


@pytest.fixture
def adam(db):
    return UserFactory(username="adam", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def api_as(api_client):
    """`api_as(user)`: an API client authenticated by token, as a provider system would be."""
    from rest_framework.test import APIClient

    from accounts.tokens import token_issue

    keys: dict[int, str] = {}

    def make(user):
        """A fresh client per call, so two users' clients never share credentials."""
        if user.pk not in keys:
            keys[user.pk] = token_issue(user=user, name="tests")[1]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {keys[user.pk]}")
        return client

    return make
