"""W5 review fixes: the period limits which offers are read (in the WHERE or JOIN clause, not only
in each COUNT's FILTER); the cleanse headline counts every candidate, not the listed 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokerage.ward_health import cleanse_candidates, district_health, ward_branches, ward_health

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
    ],
    ids=["ward_health", "ward_branches", "cleanse_candidates", "district_health"],
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
