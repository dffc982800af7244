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


def test_the_dashboards_figures_take_eleven_queries_whatever_the_providers(
    django_assert_num_queries, make_offer, ward, frozen
):
    """Issue 13 (K8): the settings, where the record of closed quarters' changes stands, the six
    quarters' kept counts (one read, no grouping), the market's answer times, the triggers, the
    legal list, the service levels, the new packages a month, the commissioned hours (one read,
    only the packages with an hours change looking one up), the hourly rate, and the settings
    again: eleven, for 5 providers or 30, packages or none."""
    from django.utils import timezone

    from core.models import PortalSettings
    from kpi.figures import dashboard
    from kpi.models import KpiSettings
    from tests.factories import PackageFactory

    now = timezone.now()
    PortalSettings.load(), KpiSettings.load()  # the settings' rows made, as in any portal
    _providers(make_offer, 5)
    with django_assert_num_queries(11):
        dashboard(now)
    _providers(make_offer, 25, start=5)
    PackageFactory(ward=ward, status="awarded", hours_per_week=10, awarded_at=at(2025, 1, 1))
    with django_assert_num_queries(11):
        figures = dashboard(now)
    assert len(figures["matrix"]) == 30 and figures["hours"]["hours_now"] == 10


def test_the_provider_tables_cells_are_written_escaped_and_banded(client, carl, make_offer, frozen):
    """The provider table's rows are made ready in Python (issue 13): a name is escaped, its link
    goes to its risk profile, and each quarter shows its rate in the band's tag (K2), the time
    to answer (K11) and the offer rate, '–' where it had no offers."""
    branch = BranchFactory(provider=ProviderFactory(ref="PX", name="<b>Bold</b> & Co"))
    make_offer(branch, at(2026, 5, 1, 11), "offer_made", responded_at=at(2026, 5, 1, 13))
    make_offer(branch, at(2026, 5, 1, 11), "no_response", outcome="expired")
    client.force_login(carl)
    page = client.get("/kpi/dashboard/").content.decode()
    assert '<a class="govuk-link" href="/kpi/risk/PX/">&lt;b&gt;Bold&lt;/b&gt; &amp; Co</a>' in page
    row = page.split("&lt;b&gt;Bold")[1].split("</tr>")[0]
    assert row.count('<td class="govuk-table__cell govuk-table__cell--numeric">–</td>') == 5
    assert (
        '<strong class="govuk-tag govuk-tag--red">50.0%</strong><br>'
        '<span class="govuk-body-s kpi-nowrap">answers in 2 hours</span><br>'
        '<span class="govuk-body-s">offers 50.0%</span>'
    ) in row
