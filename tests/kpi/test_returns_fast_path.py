"""Issue 13, goal 4: the return reader's fast path (plain ISO 8601 CSV rows, read without a datetime
per value and with the quarter's bounds worked out once) reads every row exactly as the careful
path does: the same figures for a good file, the same rows and messages for a bad one."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.quarters import Quarter
from kpi.returns import ReturnRejected, tally_visits

Q4 = Quarter.parse("2025-26-Q4")  # January to March 2026: the clocks go forward on 29 March

moments = st.one_of(
    st.datetimes(min_value=datetime(2025, 12, 30), max_value=datetime(2026, 4, 2)),
    # the hours around the spring-forward gap, where London's offset changes
    st.integers(0, 48 * 4).map(lambda q: datetime(2026, 3, 28, 12) + timedelta(minutes=15 * q)),
)


@st.composite
def moment_text(draw) -> str:
    moment = draw(moments).replace(microsecond=0)
    form = draw(st.sampled_from(["iso", "space", "seconds", "+01:00", "+00:00", "Z", "uk", "date"]))
    text = {
        "iso": moment.isoformat(timespec="minutes"),
        "space": moment.isoformat(sep=" ", timespec="minutes"),
        "seconds": moment.isoformat(timespec="seconds"),
        "+01:00": moment.isoformat(timespec="minutes") + "+01:00",
        "+00:00": moment.isoformat(timespec="minutes") + "+00:00",
        "Z": moment.isoformat(timespec="minutes") + "Z",
        "uk": moment.strftime("%d/%m/%Y %H:%M"),
        "date": moment.date().isoformat(),
    }[form]
    return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " "]))


cells = {
    "ref": st.sampled_from(["V1", "V2", "", " ", "visit 3"]),
    "user": st.sampled_from(["SU1", ""]),
    "time": st.one_of(moment_text(), st.sampled_from(["", " ", "soon", "2026-13-01T09:00"])),
    "minutes": st.sampled_from(["30", "45", "0", "-5", "abc", "", " 30", "30.0", "120"]),
}
rows = st.tuples(
    cells["ref"], cells["user"], cells["time"], cells["minutes"], cells["time"], cells["time"]
)


def outcome(numbered):
    try:
        tally = tally_visits(
            iter(numbered), quarter=Q4, late_start_minutes=30, travel_allowance_minutes=10
        )
    except ReturnRejected as exc:
        return ("rejected", exc.rows(), exc.error_count, exc.bad_rows)
    return (tally.visits, tally.delivered, tally.missed, tally.late_starts, tally.length_compliant)


@settings(max_examples=300, deadline=None)
@given(st.lists(rows, min_size=1, max_size=12))
def test_the_fast_path_reads_every_row_as_the_careful_path_does(drawn):
    numbered = [(n, row) for n, row in enumerate(drawn, start=1)]
    careful = [(n, list(row)) for n, row in numbered]  # a list is always read carefully
    assert outcome(numbered) == outcome(careful)


def test_a_plain_good_file_is_tallied(db):
    rows = [
        (1, ("V1", "SU1", "2026-01-05T09:00", "30", "2026-01-05T09:40", "2026-01-05T10:05")),
        (2, ("V2", "SU1", "2026-03-30T09:00", "30", "2026-03-30T09:05+01:00", "2026-03-30T09:20")),
        (3, ("V3", "SU2", "2026-02-01T09:00", "30", "", "")),
    ]
    # V1 late (40 min) and compliant (25 >= 20); V2 on time, 15 min: not compliant; V3 missed.
    assert outcome(rows) == (3, 2, 1, 1, 1)
