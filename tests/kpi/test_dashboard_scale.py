"""Issue 13: the contract-management dashboard (K8) shows its provider table a page at a time
(thousands of providers nationally; the CSV has them all), with the same queries for any number."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BranchFactory, ProviderFactory

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    """The dashboard's six quarters end with 2026-27-Q2 (its offers are in Q1)."""
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 8, 1, 12)):
        yield


def _providers(make_offer, n, start=0):
    for i in range(start, start + n):
        branch = BranchFactory(provider=ProviderFactory(name=f"Scale provider {i:03d}"))
        make_offer(branch, at(2026, 5, 1, 11), "offer_made")


def test_the_provider_table_is_paged_and_the_queries_do_not_grow(client, carl, make_offer, frozen):
    client.force_login(carl)
    _providers(make_offer, 5)
    with CaptureQueriesContext(connection) as few:
        client.get("/kpi/dashboard/")
    _providers(make_offer, 55, start=5)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/kpi/dashboard/").content.decode()
    assert len(many) <= len(few)
    assert page.count("Scale provider") == 50 and "60 providers, 50 a page" in page
    second = client.get("/kpi/dashboard/", {"page": 2}).content.decode()
    assert second.count("Scale provider") == 10 and "Scale provider 059" in second
    csv = client.get("/kpi/dashboard/response-rates.csv").content.decode()
    assert csv.count("Scale provider") == 60
