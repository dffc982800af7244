"""Issue 13, goal 2: the package queue's status links count the same packages for every council
user, so their counts are worked out once a change (`core.changes.kept`) rather than once a view,
and for at most STATUS_COUNTS_SECONDS of the clock. Any change to a package is counted at once."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brokerage import services
from brokerage.distribution import distribute_packages
from brokerage.views import packages as package_pages
from core import changes
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


def status_subqueries(sql: list[str]) -> int:
    """How many bounded counts of one status the queries made (the status links')."""
    return sum(s.count('"brokerage_package"."status" = ') for s in sql if "COUNT(*)" in s)


def queue(client, **query) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("brokerage:packages"), query)
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    return text, [q["sql"] for q in ctx.captured_queries]


def test_the_status_counts_are_given_again_while_nothing_changes(client, nina, ward):
    client.force_login(nina)
    for i in range(3):
        PackageFactory(reference=f"PKG-K{i}", ward=ward, status="draft")
    first, sql = queue(client)
    assert re.search(r"Draft 3\b", first) and status_subqueries(sql) >= 6
    again, sql_again = queue(client)
    assert again == first  # the same page, the same numbers
    assert status_subqueries(sql_again) == 0
    # The list's own count is kept with them: no count of any kind on the second view.
    assert not [s for s in sql_again if "COUNT(*)" in s]
    assert len(sql_again) < len(sql)
    filtered, sql_filtered = queue(client, status="draft")
    assert "3 packages match" in filtered and re.search(r"Draft 3\b", filtered)
    assert status_subqueries(sql_filtered) >= 6  # other filters: their own count, worked out


def test_each_set_of_filters_keeps_its_own_count(client, nina, ward):
    """The list's count follows the filters: kept for each set (the page aside), never another's."""
    client.force_login(nina)
    for i in range(3):
        PackageFactory(reference=f"PKG-D{i}", ward=ward, status="draft")
    PackageFactory(reference="PKG-Q1", ward=ward, status="queued")
    drafts, _ = queue(client, status="draft")
    queued, _ = queue(client, status="queued")
    assert "3 packages match" in drafts and "1 package matches" in queued
    again, sql = queue(client, status="queued", page="1")  # the page is not a filter
    assert "1 package matches" in again and not [s for s in sql if "COUNT(*)" in s]
    everything, _ = queue(client)
    assert "4 packages" in everything


def test_a_package_changing_status_is_counted_at_once(client, nina, ward):
    client.force_login(nina)
    drafts = [PackageFactory(reference=f"PKG-K{i}", ward=ward, status="draft") for i in range(3)]
    before, _ = queue(client)
    assert re.search(r"Draft 3\b", before) and re.search(r"Queued 0\b", before)
    services.package_queue(actor=nina, package=drafts[0])
    after, sql = queue(client)
    assert re.search(r"Draft 2\b", after) and re.search(r"Queued 1\b", after)
    assert status_subqueries(sql) >= 6


def test_the_clock_moving_past_the_keep_counts_them_again(client, nina, ward):
    client.force_login(nina)
    PackageFactory(reference="PKG-K1", ward=ward, status="draft")
    queue(client)
    later = changes.time.time() + package_pages.STATUS_COUNTS_SECONDS
    with mock.patch.object(changes.time, "time", return_value=later):
        _, sql = queue(client)
    assert status_subqueries(sql) >= 6


def test_a_distribution_that_finds_no_branch_moves_the_number(other_ward, market, branch_a2):
    """Marking a package uncovered is an UPDATE (no post_save): the distribution moves the number
    itself, so the queue's "no branch covers this ward" count is not given again stale."""
    from providers.models import Branch

    Branch.objects.filter(pk=branch_a2.pk).update(is_active=False)
    PackageFactory(ward=other_ward, status="queued")
    with mock.patch("brokerage.distribution.changes.changed") as moved:
        result = distribute_packages()
    assert result.uncovered and moved.called
