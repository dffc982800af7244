"""UK financial quarters in Europe/London (K1, K6)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.quarters import FIRST_YEAR, LAST_YEAR, Quarter, quarters_between

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def test_q1_is_april_to_june_and_q4_is_january_to_march():
    """API.md codes: 2026-27-Q1 is April-June 2026; 2025-26-Q4 is January-March 2026."""
    q1 = Quarter.parse("2026-27-Q1")
    assert (q1.start_date, q1.last_date) == (date(2026, 4, 1), date(2026, 6, 30))
    q4 = Quarter.parse("2025-26-Q4")
    assert (q4.start_date, q4.last_date) == (date(2026, 1, 1), date(2026, 3, 31))
    assert q4.next() == q1 and q1.previous() == q4
    assert q1.label() == "April to June 2026"


@pytest.mark.parametrize(
    "text", ["2026-Q1", "2026-28-Q1", "2026-27-Q5", "", "Q1 2026", "1999-00-Q0"]
)
def test_a_bad_quarter_code_is_refused_with_a_plain_message(text):
    with pytest.raises(ValueError, match="financial quarter such as 2026-27-Q1"):
        Quarter.parse(text)


def test_the_year_1999_2000_is_written_1999_00_but_is_not_a_quarter_the_portal_keeps():
    """The century wraps to 00 in the code; the portal keeps 2000-01-Q1 to 2098-99-Q4 (issue 14.4)."""
    assert str(Quarter(1999, 2)) == "1999-00-Q2"
    with pytest.raises(ValueError, match="outside the quarters the portal keeps"):
        Quarter.parse("1999-00-Q2")
    assert Quarter.parse("2000-01-Q1") == Quarter(FIRST_YEAR, 1)
    assert Quarter.parse("2098-99-Q4") == Quarter(LAST_YEAR, 4)


def test_boundaries_are_london_midnights_across_the_clock_change():
    """K1: 23:30 BST on 30 June is still Q1 although it is 22:30 UTC; 00:30 BST 1 July is Q2,
    although in UTC it is still 30 June."""
    q1 = Quarter.parse("2026-27-Q1")
    assert q1.end_at == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert q1.contains(datetime(2026, 6, 30, 23, 30, tzinfo=LONDON))
    assert Quarter.containing(datetime(2026, 6, 30, 23, 30, tzinfo=LONDON)) == q1
    early_july = datetime(2026, 7, 1, 0, 30, tzinfo=LONDON)
    assert early_july.astimezone(UTC).date() == date(2026, 6, 30)
    assert Quarter.containing(early_july) == q1.next()
    # Q4 starts in GMT (1 January) and ends in BST (31 March after the clocks went forward).
    q4 = Quarter.parse("2025-26-Q4")
    assert q4.start_at == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert q4.end_at == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)


def test_a_return_is_due_15_days_after_the_quarter_ends():
    """K6: April-June 2025 is due 15 July 2025."""
    assert Quarter.parse("2025-26-Q1").due_date(15) == date(2025, 7, 15)
    assert Quarter.parse("2025-26-Q4").due_date(due_days=10) == date(2026, 4, 10)


@pytest.mark.parametrize(
    ("joined", "first"),
    [
        (date(2025, 2, 10), "2025-26-Q1"),  # K6's example
        (date(2025, 4, 1), "2025-26-Q1"),  # joined on the first day: that quarter is full
        (date(2025, 4, 2), "2025-26-Q2"),
        (date(2025, 12, 31), "2025-26-Q4"),
    ],
)
def test_a_provider_is_counted_from_the_first_full_quarter_after_it_joined(joined, first):
    assert str(Quarter.first_full_after(joined)) == first


quarters = st.builds(Quarter, st.integers(FIRST_YEAR, LAST_YEAR), st.integers(1, 4))


@given(quarters)
def test_code_round_trips(quarter):
    assert Quarter.parse(str(quarter)) == quarter


@given(quarters)
def test_quarters_tile_time_with_no_gap_or_overlap(quarter):
    assert quarter.end_at == quarter.next().start_at
    assert quarter.next().previous() == quarter
    assert Quarter.containing(quarter.start_date) == quarter
    assert Quarter.containing(quarter.last_date) == quarter
    assert Quarter.containing(quarter.start_at) == quarter
    assert Quarter.containing(quarter.end_at - timedelta(microseconds=1)) == quarter
    assert 90 <= (quarter.last_date - quarter.start_date).days + 1 <= 92


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_every_moment_falls_in_exactly_the_quarter_of_its_london_date(moment):
    quarter = Quarter.containing(moment)
    assert quarter.contains(moment)
    assert not quarter.next().contains(moment) and not quarter.previous().contains(moment)


def test_quarters_between_lists_both_ends():
    first, last = Quarter.parse("2025-26-Q3"), Quarter.parse("2026-27-Q2")
    assert [str(q) for q in quarters_between(first, last)] == [
        "2025-26-Q3",
        "2025-26-Q4",
        "2026-27-Q1",
        "2026-27-Q2",
    ]
    assert quarters_between(last, first) == []
