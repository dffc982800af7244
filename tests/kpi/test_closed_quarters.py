"""Issue 13, goal 1 ("closed quarters never change"): a closed quarter's every-provider rows (K1,
K2, K11) are kept in memory by `kpi.closed_quarters` and read again only once a change to them is
recorded (`ClosedQuarterChange`): a late answer, a challenge decided after the quarter closed
(K10), a rebuild, a provider renamed. A quarter still open is read every time."""

from __future__ import annotations

from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokerage import counts
from brokerage.models import ClosedQuarterChange, ResponseCount
from core.models import PortalSettings
from kpi import closed_quarters
from kpi.quarters import Quarter
from kpi.selectors import rates_by_quarter
from kpi.services.challenges import challenge_decide, challenge_make

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
Q1 = Quarter(2026, 1)  # April-June 2026: closed from 5 August (35 days after it ended)
Q2 = Quarter(2026, 2)  # July-September 2026: open on 10 August
SENT = datetime(2026, 5, 5, 11, tzinfo=LONDON)
LATER = datetime(2026, 8, 10, 12, tzinfo=LONDON)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def read(quarters=(Q1,)) -> tuple[dict, list[str]]:
    """The quarters' rows, and the SQL of the queries that read them."""
    with CaptureQueriesContext(connection) as queries:
        rows = rates_by_quarter(list(quarters))
    return rows, [q["sql"] for q in queries.captured_queries]


def reads_counts(sql: list[str]) -> bool:
    return any(ResponseCount._meta.db_table in s for s in sql)


def test_a_closed_quarter_is_read_once_then_kept(make_offer, branch_a1, branch_b1):
    make_offer(branch_a1, SENT, "offer_made")
    make_offer(branch_b1, SENT, "no_response")
    with at(LATER):
        first, sql = read()
        assert reads_counts(sql)
        again, sql = read()
    assert not reads_counts(sql), "a closed quarter nothing changed is not read again"
    assert len(sql) == 2  # the settings, and where the record of changes stands
    assert again[str(Q1)] is first[str(Q1)]
    assert {(r.provider.ref, r.offers, r.responded) for r in again[str(Q1)]} == {
        ("PA", 1, 1),
        ("PB", 1, 0),
    }


def test_a_quarter_still_open_is_read_every_time(make_offer, branch_a1):
    make_offer(branch_a1, datetime(2026, 8, 3, 11, tzinfo=LONDON), "offer_made")
    with at(LATER):
        read([Q2])
        rows, sql = read([Q2])
    assert reads_counts(sql)
    assert not any(ClosedQuarterChange._meta.db_table in s for s in sql)
    assert rows[str(Q2)][0].responded == 1


def test_a_late_answer_to_a_closed_quarters_offer_is_read_again(make_offer, branch_a1):
    """An offer of a closed quarter saved as answered (say, corrected) records a change to that
    quarter in the same transaction, and the next read has it."""
    offer = make_offer(branch_a1, SENT, "no_response", outcome="expired")
    with at(LATER):
        before, _ = read()
        offer.placement_response = "offer_made"
        offer.responded_at = SENT
        offer.offered_start_date = SENT.date()
        offer.save()
        after, sql = read()
    assert reads_counts(sql)
    assert ClosedQuarterChange.objects.filter(start=Q1.start_date).exists()
    assert (before[str(Q1)][0].responded, after[str(Q1)][0].responded) == (0, 1)


def test_k10_a_challenge_upheld_after_the_quarter_closed_changes_its_kept_rate(
    make_offer, branch_a1, alice, carl
):
    """K10: challenged in time (by 28 July), decided on 10 August when the quarter is closed and
    kept: the upheld offer leaves the rate at once."""
    offer = make_offer(branch_a1, SENT, "no_response", outcome="expired")
    make_offer(branch_a1, SENT, "offer_made")
    challenge = challenge_make(
        actor=alice,
        offer=offer,
        reason="Answered by phone",
        now=datetime(2026, 7, 20, tzinfo=LONDON),
    )
    with at(LATER):
        before, _ = read()
        challenge_decide(actor=carl, challenge=challenge, uphold=True, comment="Phone log seen")
        after, _ = read()
    row_before, row_after = before[str(Q1)][0], after[str(Q1)][0]
    assert (row_before.offers, row_before.excluded, row_before.rate) == (2, 0, 0.5)
    assert (row_after.offers, row_after.excluded, row_after.rate) == (1, 1, 1.0)


def test_a_provider_renamed_shows_its_new_name_in_a_kept_quarter(make_offer, branch_a1):
    make_offer(branch_a1, SENT, "offer_made")
    with at(LATER):
        read()
        branch_a1.provider.name = "Renamed Care Ltd"
        branch_a1.provider.save()
        rows, _ = read()
    assert rows[str(Q1)][0].provider.name == "Renamed Care Ltd"


def test_a_rebuild_of_every_quarter_is_a_change_to_the_kept_ones(make_offer, branch_a1):
    make_offer(branch_a1, SENT, "offer_made")
    with at(LATER):
        read()
        ResponseCount.objects.filter(grain=ResponseCount.QUARTER).update(responded=0)
        kept, _ = read()
        counts.rebuild(everything=True)
        rebuilt, sql = read()
    assert kept[str(Q1)][0].responded == 1  # the kept rows: the stray UPDATE is not read
    assert reads_counts(sql) and rebuilt[str(Q1)][0].responded == 1


def test_the_settings_that_shape_the_rows_are_part_of_the_key(make_offer, branch_a1):
    """K1's setting that leaves urgent offers out: the kept rows of one setting are never given
    for the other."""
    make_offer(branch_a1, SENT, "offer_made")
    make_offer(branch_a1, SENT, "no_response", urgent=True)
    rules = PortalSettings.load()
    with at(LATER):
        every, _ = read()
        rules.kpi_exclude_urgent = True
        rules.save()
        not_urgent, _ = read()
    assert (every[str(Q1)][0].offers, not_urgent[str(Q1)][0].offers) == (2, 1)


def test_a_quarter_is_kept_an_hour_after_a_writer_first_records_its_changes():
    """The writer records a change to a quarter from the day it closes (5 August for April-June:
    35 days after it ended); the reader keeps it from an hour later, so a write begun while the
    quarter was open has committed before the quarter is kept."""
    closes = datetime(2026, 8, 5, 0, 0, tzinfo=LONDON)
    counts.note_closed_changes([SENT.date()], now=closes - closed_quarters.MARGIN / 60)
    assert not ClosedQuarterChange.objects.exists()
    counts.note_closed_changes([SENT.date()], now=closes)
    assert ClosedQuarterChange.objects.get().start == Q1.start_date
    assert not closed_quarters.keepable(Q1, closes + closed_quarters.MARGIN / 2)
    assert closed_quarters.keepable(Q1, closes + closed_quarters.MARGIN)
    assert not closed_quarters.keepable(Q2, datetime(2026, 11, 1, tzinfo=LONDON))
