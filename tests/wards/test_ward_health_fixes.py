"""W5 review fixes: the period limits which offers are read (in the WHERE or JOIN clause, not only
in each COUNT's FILTER); the cleanse headline counts every candidate, not the listed 200; the
page counts its wards, not their offers, and cut by a column no offer is in, reads the offers of
its own wards alone (issue 13), showing what the whole table's query gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokerage import ward_health_views
from brokerage.ward_health import (
    cleanse_candidates,
    district_health,
    ward_branches,
    ward_health,
    with_offer_counts,
)
from tests.factories import WardFactory
from wards.models import Ward

from .test_ward_health import HEALTH, market, offers, period  # noqa: F401 - market is a fixture

pytestmark = pytest.mark.django_db


def _without_filter_clauses(sql: str) -> str:
    """`sql` with every `FILTER (WHERE …)` removed, brackets balanced."""
    out, i = [], 0
    while (start := sql.find("FILTER (", i)) != -1:
        out.append(sql[i:start])
        depth, j = 0, start + len("FILTER ")
        while True:
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
            if depth == 0:
                break
        i = j
    out.append(sql[i:])
    return "".join(out)


@pytest.mark.parametrize(
    "read",
    [
        lambda m: list(ward_health(period())),
        lambda m: ward_branches(m["fishwick"], period()),
        lambda m: list(cleanse_candidates(period())),
        lambda m: district_health(period()),
        lambda m: with_offer_counts(list(Ward.objects.all()), period()),
    ],
    ids=["ward_health", "ward_branches", "cleanse_candidates", "district_health", "page_counts"],
)
def test_the_period_is_applied_where_the_offers_are_read(market, read):  # noqa: F811
    with CaptureQueriesContext(connection) as queries:
        read(market)
    offer_reads = [q["sql"] for q in queries.captured_queries if "brokerage_offer" in q["sql"]]
    assert offer_reads
    for sql in offer_reads:
        assert '"sent_at" >=' in _without_filter_clauses(sql), sql


def test_the_cleanse_headline_counts_every_candidate(
    client,
    carl,
    market,  # noqa: F811
    branch_b1,
    monkeypatch,
):
    """Two candidates (a1 in Fishwick, b1 in Chorley East), only one listed: the headline says 2."""
    monkeypatch.setattr("brokerage.ward_health_views.CLEANSE_SHOWN", 1)
    offers(branch_b1, market["chorley"], no_response=20)
    client.force_login(carl)
    html = client.get(HEALTH, {"from": period().start, "to": period().end}).content.decode()
    assert '>2</span><a class="govuk-link" href="#cleanse">cleanse candidates</a>' in html
    assert "Showing the 1 with the lowest offer rates of 2" in html


SHOWN = ("pk", "branches", "sent", "counted", "responded", "made", "response_pct", "offer_pct")


@pytest.mark.parametrize("sort", ["ward", "-ward", "district", "-branches", "offer_rate", "-sent"])
def test_W5_each_page_shows_what_the_whole_tables_query_gives(
    client,
    carl,
    market,  # noqa: F811
    monkeypatch,
    sort,
):
    """Cut first (ward, district, branches) or counted first (offers and rates): every page's rows
    and counts are the rows `ward_health` gives for that slice, and the pager counts every ward."""
    WardFactory(name="Avenham", district="Preston")  # no branch, no offer
    monkeypatch.setattr(ward_health_views, "PAGE_SIZE", 2)
    client.force_login(carl)
    dates = {"from": str(period().start), "to": str(period().end)}
    whole = [tuple(getattr(w, f) for f in SHOWN) for w in ward_health(period(), sort=sort)]
    assert len(whole) == 5 and any(row[2] for row in whole)
    shown = []
    for number in (1, 2, 3):
        page = client.get(HEALTH, {**dates, "sort": sort, "page": number}).context["page"]
        assert page.paginator.count == 5
        shown += [tuple(getattr(w, f) for f in SHOWN) for w in page.object_list]
    assert shown == whole


def test_W5_a_page_cut_by_ward_reads_no_other_wards_offers(client, carl, market):  # noqa: F811
    """Sorted by ward, the page's offer counts are read for its own wards (one grouped query whose
    WHERE names them) and the pager's count reads no offer at all."""
    client.force_login(carl)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HEALTH, {"sort": "ward"}).status_code == 200
    offer_reads = [q["sql"] for q in queries if "brokerage_offer" in q["sql"]]
    counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert counts and not any("brokerage_offer" in sql for sql in counts)
    page_reads = [sql for sql in offer_reads if '"ward_id" IN (' in sql]
    assert len(page_reads) == 1


def test_K10_the_upheld_challenges_are_read_once_not_once_an_offer(market):  # noqa: F811
    """Ward health's counts leave out offers with an upheld challenge through an uncorrelated
    IN over the upheld challenges (read once into a hash), not a subquery naming each offer: run
    per offer inside the counts' FILTERs, that took 1.8 of 2.1 s at 2M once the empty challenges
    table had statistics."""
    with CaptureQueriesContext(connection) as queries:
        district_health(period())
        list(ward_health(period()))
    reads = [q["sql"] for q in queries if "kpi_challenge" in q["sql"]]
    assert len(reads) == 2
    for sql in reads:
        assert 'IN (SELECT U0."offer_id" AS "offer_id" FROM "kpi_challenge" U0' in sql
        assert 'U0."offer_id" = (' not in sql  # never correlated with the offer
