"""KPI returns (K5, K6): the figures, all-or-nothing refusal with every bad row, CSV and XLSX,
only ended quarters, late returns; the API and the upload form; scoping (A1)."""

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from core.models import AuditEvent
from kpi.models import KpiReturn
from kpi.quarters import Quarter
from kpi.returns import ReturnRejected
from kpi.services import KpiError, kpi_return_submit

from .conftest import at

Q4 = Quarter.parse("2025-26-Q4")  # January-March 2026, due 15 April 2026
HEADER = "visit_ref,service_user_ref,planned_start,planned_minutes,actual_start,actual_end\n"
GOOD = (
    HEADER
    + "V1,SU1,2026-01-05T09:00,30,2026-01-05T09:10,2026-01-05T09:40\n"  # on time, full length
    + "V2,SU1,2026-01-05T12:00,30,2026-01-05T12:31,2026-01-05T12:51\n"  # late (31 min), 20 min: ok
    + "V3,SU2,2026-02-01T08:00,45,,\n"  # missed
    + "V4,SU2,2026-03-31T22:30,60,2026-03-31T22:45,2026-03-31T23:30\n"  # BST, 45 of 60: short
    + "V5,SU3,2026-01-10T10:00+00:00,30,2026-01-10T10:30:00Z,2026-01-10T10:59\n"  # 30 min late: not late
)


AFTER_Q4 = at(2026, 4, 10, 12)


def submit(provider, text, *, now=AFTER_Q4, name="q4.csv", quarter=Q4, actor=None):
    return kpi_return_submit(
        actor=actor,
        provider=provider,
        quarter=quarter,
        file=io.BytesIO(text.encode()),
        file_name=name,
        now=now,
    )


def test_the_figures_of_a_good_file(provider_a):
    """K5: visits 5, delivered 4, missed 1, late 1 (over 30 minutes), compliant 3 of 4."""
    r = submit(provider_a, GOOD)
    assert (r.visits, r.delivered, r.missed, r.late_starts, r.length_compliant) == (5, 4, 1, 1, 3)
    assert float(r.length_compliance) == 0.75
    assert r.late is False
    assert AuditEvent.objects.filter(action="kpi.return", object_id=str(r.pk)).exists()


def test_the_minutes_are_settings(provider_a):
    from kpi.models import KpiSettings

    KpiSettings.objects.update_or_create(
        pk=1, defaults={"late_start_minutes": 5, "travel_allowance_minutes": 15}
    )
    r = submit(provider_a, GOOD)
    assert (r.late_starts, r.length_compliant) == (4, 4)


def test_a_return_after_the_due_date_is_late(provider_a):
    """K6: due 15 April 2026; on the 16th it is late."""
    assert submit(provider_a, GOOD, now=at(2026, 4, 15, 23, 59)).late is False
    KpiReturn.objects.all().delete()
    assert submit(provider_a, GOOD, now=at(2026, 4, 16, 0, 1)).late is True


def test_a_bad_file_is_refused_whole_with_every_bad_row_listed(provider_a):
    """K5: nothing saved; each row, column and problem listed; row 1 is the first data row."""
    bad = (
        HEADER
        + "V1,SU1,2026-01-05T09:00,30,2026-01-05T09:10,2026-01-05T09:40\n"
        + "V2,SU1,next tuesday,30,2026-01-05T12:31,2026-01-05T12:51\n"
        + "V3,SU1,2026-01-05T12:00,,2026-01-05T12:31,2026-01-05T12:21\n"
        + "V4,SU2,2026-04-01T08:00,45,,\n"
        + "V5,SU2,2026-02-01T08:00,45,2026-02-01T08:00,\n"  # one actual time: delivered, fine
    )
    with pytest.raises(ReturnRejected) as caught:
        submit(provider_a, bad)
    rows = {
        r["row"]: [(e["column"], e["message"]) for e in r["errors"]] for r in caught.value.rows()
    }
    assert set(rows) == {2, 3, 4}
    assert rows[2] == [
        (
            "planned_start",
            "'next tuesday' is not an ISO 8601 date-time such as 2026-04-01T09:30 "
            "or a UK one such as 01/04/2026 09:30",
        )
    ]
    assert ("planned_minutes", "the planned length in minutes is missing") in rows[3]
    assert ("actual_end", "the visit ends before it starts") in rows[3]
    assert rows[4] == [
        ("planned_start", "the visit is outside the quarter 2025-26-Q4 (January to March 2026)")
    ]
    assert caught.value.bad_rows == 3
    assert KpiReturn.objects.count() == 0


def test_errors_are_all_counted_but_the_list_is_capped(provider_a, settings):
    settings.KPI_RETURN_MAX_LISTED_ERRORS = 10
    bad = HEADER + "".join(f"V{i},S,nope,30,,\n" for i in range(50))
    with pytest.raises(ReturnRejected) as caught:
        submit(provider_a, bad)
    assert (len(caught.value.errors), caught.value.error_count, caught.value.bad_rows) == (
        10,
        50,
        50,
    )


def test_a_missing_column_is_refused(provider_a):
    with pytest.raises(ReturnRejected, match="missing column"):
        submit(provider_a, "visit_ref,planned_start\nV1,2026-01-05T09:00\n")


def test_only_ended_quarters_can_be_returned(provider_a):
    with pytest.raises(KpiError, match="has not ended yet"):
        submit(provider_a, GOOD, now=at(2026, 3, 31, 23, 0))


def test_a_quarter_is_returned_once(provider_a):
    submit(provider_a, GOOD)
    with pytest.raises(KpiError, match="already made its return"):
        submit(provider_a, GOOD)


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_file_with_real_dates_and_text_gives_the_same_figures(provider_a):
    data = _xlsx(
        [
            [
                "V1",
                "SU1",
                datetime(2026, 1, 5, 9),
                30,
                datetime(2026, 1, 5, 9, 10),
                datetime(2026, 1, 5, 9, 40),
            ],
            ["V2", "SU1", "2026-01-05T12:00", 30, "2026-01-05T12:31", "2026-01-05T12:51"],
            ["V3", "SU2", datetime(2026, 2, 1, 8), 45, None, None],
        ]
    )
    r = kpi_return_submit(
        actor=None,
        provider=provider_a,
        quarter=Q4,
        file=io.BytesIO(data),
        file_name="q4.xlsx",
        now=at(2026, 4, 10),
    )
    assert (r.visits, r.delivered, r.missed, r.late_starts, r.length_compliant) == (3, 2, 1, 1, 2)


def test_a_bad_xlsx_file_is_refused_whole(provider_a):
    data = _xlsx([["V1", "SU1", datetime(2026, 1, 5, 9), "half an hour", None, None]])
    with pytest.raises(ReturnRejected) as caught:
        kpi_return_submit(
            actor=None,
            provider=provider_a,
            quarter=Q4,
            file=io.BytesIO(data),
            file_name="x.xlsx",
            now=at(2026, 4, 10),
        )
    assert caught.value.rows()[0]["row"] == 1
    assert KpiReturn.objects.count() == 0


# --- API ---------------------------------------------------------------------------------------


def _upload(text, name="q4.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def after_q4(settings):
    """Run the API on 10 April 2026, after 2025-26-Q4 ended."""
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=at(2026, 4, 10, 12)):
        yield


def test_api_post_a_return_answers_201_with_the_figures(api_as, olivia, after_q4):
    response = api_as(olivia).post(
        "/api/v1/kpi/returns/", {"quarter": "2025-26-Q4", "file": _upload(GOOD)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {
        k: body[k] for k in ("quarter", "late", "visits", "delivered", "missed", "late_starts")
    } == {
        "quarter": "2025-26-Q4",
        "late": False,
        "visits": 5,
        "delivered": 4,
        "missed": 1,
        "late_starts": 1,
    }
    assert body["length_compliance"] == 0.75
    assert body["provider"] == {"ref": "PA", "name": "Amber Homecare Ltd"}


def test_api_bad_file_answers_400_with_rows(api_as, olivia, after_q4):
    bad = HEADER + "V1,SU1,2026-01-05T09:00,30,2026-01-05T09:10,2026-01-05T09:00\n"
    response = api_as(olivia).post(
        "/api/v1/kpi/returns/", {"quarter": "2025-26-Q4", "file": _upload(bad)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["rows"] == [
        {
            "row": 1,
            "errors": [{"column": "actual_end", "message": "the visit ends before it starts"}],
        }
    ]


def test_api_bad_quarter_answers_400(api_as, olivia):
    response = api_as(olivia).post(
        "/api/v1/kpi/returns/", {"quarter": "Q1", "file": _upload(GOOD)}, format="multipart"
    )
    assert response.status_code == 400 and "quarter" in response.json()


def test_api_return_for_an_unended_quarter_answers_409(api_as, olivia, after_q4):
    response = api_as(olivia).post(
        "/api/v1/kpi/returns/", {"quarter": "2026-27-Q1", "file": _upload(GOOD)}, format="multipart"
    )
    assert response.status_code == 409


def test_a_contract_manager_makes_a_return_on_behalf_of_a_provider(
    api_as, carl, provider_b, after_q4
):
    response = api_as(carl).post(
        "/api/v1/kpi/returns/",
        {"quarter": "2025-26-Q4", "file": _upload(GOOD), "provider": "PB"},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["provider"]["ref"] == "PB"


def test_a_navigator_may_not_make_a_return(api_as, nina, provider_b, after_q4):
    response = api_as(nina).post(
        "/api/v1/kpi/returns/",
        {"quarter": "2025-26-Q4", "file": _upload(GOOD), "provider": "PB"},
        format="multipart",
    )
    assert response.status_code == 403


def test_a_provider_sees_only_its_own_returns_and_404_for_others(
    api_as, olivia, brenda, provider_a, provider_b
):
    """A1: list holds own rows only; another provider's return is 404, not 403."""
    mine = submit(provider_a, GOOD)
    theirs = submit(provider_b, GOOD)
    listed = api_as(olivia).get("/api/v1/kpi/returns/").json()["results"]
    assert [r["id"] for r in listed] == [mine.pk]
    assert api_as(olivia).get(f"/api/v1/kpi/returns/{theirs.pk}/").status_code == 404
    assert api_as(brenda).get(f"/api/v1/kpi/returns/{theirs.pk}/").status_code == 200


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def owes_q4(provider_a):
    """Provider A joined the PDPS in January 2025, so it owes 2025-26-Q4 (K6): the upload page
    offers only the quarters a provider owes."""
    provider_a.joined_on = date(2025, 1, 1)
    provider_a.save()


def test_the_upload_form_shows_the_figures_back(client, olivia, owes_q4, after_q4):
    client.force_login(olivia)
    response = client.post(
        "/kpi/returns/new/", {"quarter": "2025-26-Q4", "file": _upload(GOOD)}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "KPI return for 2025-26-Q4" in page and "75.0%" in page


def test_the_upload_form_lists_every_bad_row(client, olivia, owes_q4, after_q4):
    client.force_login(olivia)
    bad = HEADER + "V1,SU1,nope,30,,\nV2,SU1,2026-01-05T09:00,,,\n"
    response = client.post("/kpi/returns/new/", {"quarter": "2025-26-Q4", "file": _upload(bad)})
    page = response.content.decode()
    assert "nothing has been saved" in page
    assert (
        "is not an ISO 8601 date-time" in page
        and "The planned length in minutes is missing" in page
    )
    assert KpiReturn.objects.count() == 0


def test_a_provider_cannot_open_another_providers_return_page(client, olivia, provider_b):
    theirs = submit(provider_b, GOOD)
    client.force_login(olivia)
    assert client.get(f"/kpi/returns/{theirs.pk}/").status_code == 404
