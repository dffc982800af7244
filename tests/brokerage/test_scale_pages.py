"""Issue 13, goal 2: list pages that do not count the world. The navigators' package queue
paginates first and counts offers for the page's packages only; the inbox shows each list a page at
a time; the council's offers API never counts every offer for every page. Query counts pinned."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brokerage.distribution import distribute_packages
from brokerage.views.common import PAGE_SIZE
from core.api import EstimatedCountPagination
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


def add_packages(ward, n: int, start: int = 0, status: str = "queued") -> None:
    for i in range(start, start + n):
        PackageFactory(reference=f"PKG-S{i:03d}", ward=ward, status=status)
    if status == "queued":
        distribute_packages(as_of=timezone.now() - timedelta(hours=1))


def queries_for(client, url) -> tuple[int, list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx), [q["sql"] for q in ctx.captured_queries], response.content.decode()


def test_package_queue_counts_offers_for_the_page_only(client, nina, market, ward):
    """60 packages, each offered to a1 and b1: the page shows 50 with their offer counts, the pager
    counts 60; the offers are grouped for the page's 50 packages, never for the whole table."""
    client.force_login(nina)
    add_packages(ward, PAGE_SIZE + 10)
    n, sql, page = queries_for(client, reverse("brokerage:packages"))
    assert "60 packages" in page
    assert page.count("0 of 2") == PAGE_SIZE  # offers made of offers sent, per row shown
    grouped = [s for s in sql if "brokerage_offer" in s and "GROUP BY" in s]
    assert len(grouped) == 1 and " IN (" in grouped[0]
    add_packages(ward, 60, start=100)
    again, _, page = queries_for(client, reverse("brokerage:packages"))
    assert again <= n and "120 packages" in page


def test_package_queue_shows_status_counts(client, nina, market, ward):
    client.force_login(nina)
    add_packages(ward, 3)
    add_packages(ward, 2, start=10, status="draft")
    page = client.get(reverse("brokerage:packages")).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert re.search(r"Offered \(?3\)?", text) and re.search(r"Draft \(?2\)?", text)


def test_inbox_shows_a_page_of_waiting_offers_and_counts_them_all(client, alice, market, ward):
    """P10 inbox, issue 13: 55 offers waiting: the heading says 55, the first page lists 50 and
    the second 5; the query count does not grow with them."""
    client.force_login(alice)
    add_packages(ward, 5)
    few, _, _ = queries_for(client, reverse("brokerage:inbox"))
    add_packages(ward, PAGE_SIZE, start=5)
    n, _, page = queries_for(client, reverse("brokerage:inbox"))
    assert n <= few
    assert "Waiting for your answer (55)" in page
    assert page.count("PKG-S") == PAGE_SIZE and "?page=2" in page
    second = client.get(reverse("brokerage:inbox"), {"page": 2}).content.decode()
    assert second.count("PKG-S") == 5


def test_offers_api_never_counts_every_offer(api_as, carl, market, ward, monkeypatch):
    """Past `exact_up_to` rows the count is an estimate (PostgreSQL's planner; exact on SQLite),
    never below the rows known to exist; pages still link next and previous, and the last page's
    count is exact. The page reads one row more than it shows instead of counting."""
    monkeypatch.setattr(EstimatedCountPagination, "exact_up_to", 3)
    add_packages(ward, 5)  # 10 offers: a1 and b1 each
    client = api_as(carl)
    with CaptureQueriesContext(connection) as ctx:
        first = client.get("/api/v1/offers/?page_size=4")
    body = first.json()
    assert len(body["results"]) == 4 and body["count"] >= 5 and body["previous"] is None
    assert "page=2" in body["next"]
    assert connection.vendor != "postgresql" or not any(
        re.match(r"SELECT COUNT\(\*\) AS .__count. FROM .brokerage_offer.", q["sql"])
        for q in ctx.captured_queries
    )
    if connection.vendor == "postgresql":
        assert first["X-Count-Estimated"] == "true"
    last = client.get("/api/v1/offers/?page_size=4&page=3").json()
    assert (len(last["results"]), last["count"], last["next"]) == (2, 10, None)
    assert "page=2" in last["previous"]
    assert client.get("/api/v1/offers/?page_size=4&page=4").status_code == 404
    assert client.get("/api/v1/offers/?page=x").status_code == 404
    small = client.get("/api/v1/offers/?branch=B1&page_size=50").json()
    assert small["count"] == 5 and small["next"] is None


def test_offers_api_query_count_does_not_grow(api_as, carl, market, ward, monkeypatch):
    monkeypatch.setattr(EstimatedCountPagination, "exact_up_to", 3)
    add_packages(ward, 5)
    client = api_as(carl)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/offers/?page_size=4").status_code == 200
    add_packages(ward, 20, start=50)
    with CaptureQueriesContext(connection) as again:
        assert client.get("/api/v1/offers/?page_size=4").status_code == 200
    assert len(again) <= len(ctx) <= 8
