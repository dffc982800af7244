"""Issue 8.7, the KPI parts: My KPIs coloured by its risk band (K2), GOV.UK messages on the return
upload form, the quarters a provider owes offered with their due dates (K6), and visit files with UK
dates such as 31/07/2026 08:05 (K5)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from kpi.models import KpiReturn
from kpi.quarters import LONDON, Quarter
from kpi.returns import ReturnRejected, _moment
from kpi.services import kpi_return_submit

from .conftest import at

HEADER = "visit_ref,service_user_ref,planned_start,planned_minutes,actual_start,actual_end\n"
Q2 = Quarter.parse("2026-27-Q2")  # July-September 2026, due 15 October 2026


def _submit(provider, data: bytes, name: str, quarter: Quarter = Q2, now=None):
    return kpi_return_submit(
        actor=None,
        provider=provider,
        quarter=quarter,
        file=io.BytesIO(data),
        file_name=name,
        now=now or at(2026, 10, 5, 12),
    )


def _row_errors(caught) -> dict[int, list[tuple[str, str]]]:
    return {
        r["row"]: [(e["column"], e["message"]) for e in r["errors"]] for r in caught.value.rows()
    }


# --- K5: UK dates in visit files ------------------------------------------------------------------

UK_FILE = (
    HEADER
    + "V1,SU1,31/07/2026 08:05,30,31/07/2026 08:10,31/07/2026 08:40\n"  # on time, full length
    + "V2,SU1,01/08/2026 12:00:00,30,01/08/2026 12:31:00,01/08/2026 12:51:30\n"  # late, 20 min
    + "V3,SU2,2/9/2026 9:00,45,,\n"  # missed; one-digit day, month and hour
    + "V4,SU2,2026-09-30T22:30,60,30/09/2026 22:45,2026-09-30T23:30+01:00\n"  # ISO beside UK
)


def test_a_csv_with_uk_dates_gives_the_figures(provider_a):
    """K5: dd/mm/yyyy hh:mm and hh:mm:ss are read as London time, beside ISO 8601."""
    r = _submit(provider_a, UK_FILE.encode(), "q2.csv")
    assert (r.visits, r.delivered, r.missed, r.late_starts, r.length_compliant) == (4, 3, 1, 1, 2)


def test_an_xlsx_with_uk_date_strings_and_real_datetimes_gives_the_same_figures(provider_a):
    """K5: an XLSX cell may hold a real date-time (London time) or a UK date as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(
        ["V1", "SU1", datetime(2026, 7, 31, 8, 5), 30, "31/07/2026 08:10", "31/07/2026 08:40"]
    )
    sheet.append(
        [
            "V2",
            "SU1",
            "01/08/2026 12:00:00",
            30,
            datetime(2026, 8, 1, 12, 31),
            "01/08/2026 12:51:30",
        ]
    )
    sheet.append(["V3", "SU2", "2/9/2026 9:00", 45, None, None])
    sheet.append(
        ["V4", "SU2", "30/09/2026 22:30", 60, "30/09/2026 22:45", datetime(2026, 9, 30, 23, 30)]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    r = _submit(provider_a, buffer.getvalue(), "q2.xlsx")
    assert (r.visits, r.delivered, r.missed, r.late_starts, r.length_compliant) == (4, 3, 1, 1, 2)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("31/02/2026 08:00", "is not a real date and time"),
        ("2026-13-01", "is not an ISO 8601 date-time"),
        ("2026-13-01T08:00", "is not an ISO 8601 date-time"),
        ("07/31/2026 08:00", "dates are day/month/year"),
        ("31/07/26 08:00", "give the year in full"),
        ("31/07/2026", "has no time"),
        ("31/07/2026 24:00", "is not a real date and time"),
        ("31/07/2026 08:60", "is not a real date and time"),
        ("31/07/2026 8am", "is not an ISO 8601 date-time"),
        ("29/03/2026 01:30", "does not exist in London"),
        ("2026-03-29T01:30", "does not exist in London"),
        ("25/10/2026 01:30", "happens twice in London"),
        ("2026-10-25T01:30", "happens twice in London"),
    ],
)
def test_an_ambiguous_or_impossible_time_is_a_row_error(value, says):
    """K5: refused with a clear reason, never guessed (nor shifted across a clock change)."""
    with pytest.raises(ValueError, match=says):
        _moment(value)


def test_a_file_with_bad_uk_dates_is_refused_with_each_row_listed(provider_a):
    """K5: the whole file is refused; each bad row and column is named."""
    bad = (
        HEADER
        + "V1,SU1,31/07/2026 08:05,30,31/07/2026 08:10,31/07/2026 08:40\n"
        + "V2,SU1,31/02/2026 08:00,30,,\n"
        + "V3,SU1,07/31/2026 08:00,30,,\n"
        + "V4,SU1,31/07/26 08:00,30,,\n"
    )
    with pytest.raises(ReturnRejected) as caught:
        _submit(provider_a, bad.encode(), "q2.csv")
    rows = _row_errors(caught)
    assert set(rows) == {2, 3, 4}
    assert all(col == "planned_start" for errs in rows.values() for col, _ in errs)
    assert "day/month/year" in rows[3][0][1]
    assert KpiReturn.objects.count() == 0


def test_an_ambiguous_xlsx_datetime_is_refused_too():
    """K5: an XLSX date-time on the night the clocks go back is as ambiguous as its text."""
    with pytest.raises(ValueError, match="happens twice"):
        _moment(datetime(2026, 10, 25, 1, 30))
    assert _moment(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC
    )


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    st.booleans(),
)
def test_uk_and_iso_forms_of_a_moment_read_the_same(moment, with_seconds):
    """K5: dd/mm/yyyy hh:mm[:ss] and ISO 8601 give the same instant, or the same refusal (the
    hour the clocks skip or repeat); and a day above 12 written month-first is refused."""
    moment = moment.replace(microsecond=0, second=moment.second if with_seconds else 0)
    clock = "%H:%M:%S" if with_seconds else "%H:%M"
    uk, iso = moment.strftime(f"%d/%m/%Y {clock}"), moment.strftime(f"%Y-%m-%dT{clock}")
    results = []
    for text in (uk, iso):
        try:
            results.append(_moment(text))
        except ValueError as exc:
            results.append(str(exc).split("'")[-1])  # the reason, less the value echoed
    assert results[0] == results[1]
    if isinstance(results[0], datetime):
        assert results[0].astimezone(LONDON).replace(tzinfo=None) == moment
    if moment.day > 12:
        with pytest.raises(ValueError):
            _moment(moment.strftime(f"%m/%d/%Y {clock}"))


# --- K2: My KPIs coloured by its risk band ----------------------------------------------------------


@pytest.fixture
def in_q2():
    """1 August 2026: 2026-27-Q1 (rate_market's offers) has ended."""
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 8, 1, 12)):
        yield


def _panel(page: str) -> str:
    start = page.index('<div class="govuk-panel')
    return page[start : page.index("</div>\n</div>", start)]


def test_my_kpis_panel_for_a_medium_band_is_amber_and_says_so(client, olivia, rate_market, in_q2):
    """K2: Amber's 83.3% is under the 95% target and at or above 80%: medium, not green."""
    client.force_login(olivia)
    panel = _panel(client.get("/kpi/my/?period=2026-27-Q1").content.decode())
    assert "83.3%" in panel
    assert "govuk-panel--confirmation" not in panel and "kpi-panel--medium" in panel
    assert "Medium risk" in panel and "below the 95% target" in panel


def test_my_kpis_panel_for_a_high_band_is_red(client, bob, rate_market, in_q2):
    """K2: Birch's 25% is under the 80% floor: high risk."""
    client.force_login(bob)
    panel = _panel(client.get("/kpi/my/?period=2026-27-Q1").content.decode())
    assert "kpi-panel--high" in panel and "High risk" in panel and "below 80%" in panel


def test_my_kpis_bands_follow_the_settings(client, olivia, rate_market, in_q2):
    """K2: the thresholds are settings; with an 80% target Amber's 83.3% is low risk, green."""
    from core.models import PortalSettings

    rules = PortalSettings.load()
    rules.response_rate_target, rules.medium_risk_floor = Decimal("0.800"), Decimal("0.600")
    rules.save()
    client.force_login(olivia)
    panel = _panel(client.get("/kpi/my/?period=2026-27-Q1").content.decode())
    assert "govuk-panel--confirmation" in panel and "Low risk" in panel
    assert "at or above the 80% target" in panel
