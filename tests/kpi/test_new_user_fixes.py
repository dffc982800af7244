"""Issue 8.7, the KPI parts: My KPIs coloured by its risk band (K2), GOV.UK messages on the return
upload form, the quarters a provider owes offered with their due dates (K6), and visit files with UK
dates such as 31/07/2026 08:05 (K5)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from kpi.models import DiscountedQuarter, FirstDueQuarter, KpiReturn
from kpi.quarters import LONDON, Quarter
from kpi.returns import ReturnRejected, _moment
from kpi.services import kpi_return_submit, returns_owed

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


# --- K6: the return page offers the quarters owed, with their due dates ----------------------------

OCT_2026 = at(2026, 10, 5, 12)  # 2026-27-Q2 has ended, due 15 October 2026


@pytest.fixture
def on_5_october_2026():
    with mock.patch("django.utils.timezone.now", return_value=OCT_2026):
        yield


@pytest.fixture
def larch(db):
    """Joined the PDPS on 10 February 2025: first owes 2025-26-Q1, due 15 July 2025 (K6)."""
    from providers.models import Role
    from tests.factories import ProviderFactory, UserFactory

    provider = ProviderFactory(ref="PL", name="Larch Care", joined_on=date(2025, 2, 10))
    UserFactory(username="lena", role=Role.PROVIDER_ORG, provider=provider)
    return provider


def _lena(client, larch):
    client.force_login(larch.users.get(username="lena"))
    return client


def _radios(page: str) -> list[str]:
    return re.findall(r'name="quarter" type="radio" value="([^"]+)"', page)


def _return_quarter(provider, code: str):
    quarter = Quarter.parse(code)
    row = f"V1,SU1,{quarter.start_date:%d/%m/%Y} 09:00,30,,\n"
    _submit(provider, (HEADER + row).encode(), "q.csv", quarter=quarter, now=OCT_2026)


def test_returns_owed_start_at_the_first_full_quarter_and_skip_discounted_and_returned(larch):
    """K6: from 2025-26-Q1 to the last ended quarter, less discounted and returned quarters."""
    DiscountedQuarter.objects.create(quarter="2025-26-Q2", reason="reporting problems")
    _return_quarter(larch, "2025-26-Q3")
    owed = returns_owed(larch, now=OCT_2026)
    assert [(str(o.quarter), o.due_on, o.overdue) for o in owed.owed] == [
        ("2025-26-Q1", date(2025, 7, 15), True),
        ("2025-26-Q4", date(2026, 4, 15), True),
        ("2026-27-Q1", date(2026, 7, 15), True),
        ("2026-27-Q2", date(2026, 10, 15), False),
    ]
    assert str(owed.upcoming.quarter) == "2026-27-Q3"


def test_returns_owed_are_the_quarters_the_escalation_counts(larch):
    """K6, K7: one formula: every quarter a 'missing' trigger is raised for is owed on the page."""
    from kpi.services import kpi_triggers_escalate

    DiscountedQuarter.objects.create(quarter="2025-26-Q2", reason="reporting problems")
    FirstDueQuarter.objects.create(provider=larch, quarter="2025-26-Q2")
    kpi_triggers_escalate(as_of=OCT_2026)
    missing = set(larch.kpi_triggers.filter(missing=True).values_list("quarter", flat=True))
    owed = {str(o.quarter) for o in returns_owed(larch, now=OCT_2026).owed}
    assert missing == {"2025-26-Q3", "2025-26-Q4", "2026-27-Q1"}
    assert owed == missing | {"2026-27-Q2"}  # ended, not yet due: owed but not yet a trigger


def test_the_return_page_lists_the_quarters_owed_oldest_first_with_due_dates(
    client, larch, on_5_october_2026
):
    """K6: the quarters owed, oldest first and chosen, each with its due date; overdue said."""
    _return_quarter(larch, "2025-26-Q1")
    page = _lena(client, larch).get("/kpi/returns/new/").content.decode()
    assert _radios(page) == ["2025-26-Q2", "2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"]
    assert re.search(r'value="2025-26-Q2"\s+checked', page)
    assert "Overdue: was due 15 October 2025" in page
    assert "Due 15 October 2026" in page
    assert "2025-26-Q1" not in page  # already returned
    assert "2026-27-Q3" not in page  # not ended


def test_a_quarter_already_returned_cannot_be_chosen(client, larch, on_5_october_2026):
    """K6: a returned quarter is refused by the form (a return is made once)."""
    _return_quarter(larch, "2025-26-Q1")
    response = _lena(client, larch).post(
        "/kpi/returns/new/", {"quarter": "2025-26-Q1", "file": _upload(UK_FILE)}
    )
    page = response.content.decode()
    assert "Select a quarter you owe a return for" in page
    assert KpiReturn.objects.filter(provider=larch).count() == 1


def test_when_nothing_is_owed_the_page_says_so(client, larch, on_5_october_2026):
    """K6: joined September 2026, so the first return is for October-December 2026."""
    larch.joined_on = date(2026, 9, 1)
    larch.save()
    page = _lena(client, larch).get("/kpi/returns/new/").content.decode()
    assert "You have no KPI returns to make" in page
    assert "October to December 2026" in page and "due 15 January 2027" in page
    assert 'type="file"' not in page


def test_a_contract_manager_chooses_the_provider_first(client, carl, larch, on_5_october_2026):
    """K6: the quarters offered are the chosen provider's."""
    client.force_login(carl)
    page = client.get("/kpi/returns/new/").content.decode()
    assert _radios(page) == [] and 'name="provider"' in page
    page = client.get("/kpi/returns/new/?provider=PL").content.decode()
    assert _radios(page)[0] == "2025-26-Q1"
    response = client.post(
        "/kpi/returns/new/",
        {"provider": "PL", "quarter": "2026-27-Q2", "file": _upload(UK_FILE)},
    )
    assert response.status_code == 302
    assert KpiReturn.objects.get(provider=larch).quarter == "2026-27-Q2"


# --- The upload form's messages (GOV.UK) ----------------------------------------------------------


def _upload(text: str, name: str = "q.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _summary_and_inline(page: str) -> tuple[str, str]:
    summary = page[page.index("govuk-error-summary") : page.index("<h1")]
    return summary, page[page.index("<h1") :]


def test_an_empty_upload_gives_govuk_messages(client, larch, on_5_october_2026):
    """Each field's own message, in the error summary (linked) and beside the field."""
    response = _lena(client, larch).post("/kpi/returns/new/", {})
    page = response.content.decode()
    assert "This field is required" not in page
    summary, form = _summary_and_inline(page)
    assert '<a href="#id_quarter_0">Select the quarter</a>' in summary
    assert '<a href="#id_file">Select a visit file</a>' in summary
    assert "Error:</span> Select the quarter" in form
    assert "Error:</span> Select a visit file" in form
    assert page.count('class="govuk-error-message"') == 2


def test_an_empty_file_says_so(client, larch, on_5_october_2026):
    response = _lena(client, larch).post(
        "/kpi/returns/new/", {"quarter": "2026-27-Q2", "file": _upload("")}
    )
    assert "The selected file is empty" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "says"),
    [("?provider=", "Select the provider"), ("?provider=NOPE", "Select a provider from the list")],
)
def test_a_contract_manager_gets_govuk_messages_for_the_provider(
    client, carl, larch, on_5_october_2026, query, says
):
    client.force_login(carl)
    page = client.get(f"/kpi/returns/new/{query}").content.decode()
    assert f'<a href="#id_provider">{says}</a>' in page and "This field is required" not in page


def test_the_action_plan_date_hint_gives_a_date_ahead_not_one_gone_by():
    """K9: the hint's example moves with the days (it once said 30/09/2026 for ever)."""
    from datetime import date as date_
    from datetime import timedelta

    from django.utils import timezone

    from kpi.forms import ActionPlanForm

    hint = ActionPlanForm().fields["due_on"].help_text
    example = date_.fromisoformat(hint.rstrip(".").split(" or ")[1])
    assert example > timezone.localdate() + timedelta(weeks=4)
