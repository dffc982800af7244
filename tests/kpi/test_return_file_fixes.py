"""K5 review fixes: one actual time is a delivered visit; XLSX rows past a wrong <dimension> tag
are read; a non-UTF-8 or broken CSV and an overflowing length are refused whole, not a 500."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpi.models import KpiReturn
from kpi.returns import ReturnRejected
from kpi.services import kpi_return_submit

from .test_returns import (  # noqa: F401 - fixtures
    AFTER_Q4,
    HEADER,
    Q4,
    _xlsx,
    after_q4,
    owes_q4,
    submit,
)


def test_a_visit_with_one_actual_time_is_delivered(provider_a):
    """K5: only a visit with neither actual time is missed. Late is judged from the start (not
    late when only the end is known); length only when both times are known."""
    text = (
        HEADER
        + "V1,SU1,2026-01-05T09:00,30,2026-01-05T09:45,\n"  # start only, 45 minutes late
        + "V2,SU1,2026-01-05T12:00,30,,2026-01-05T12:30\n"  # end only: not late, length unknown
        + "V3,SU2,2026-02-01T08:00,45,,\n"  # missed
        + "V4,SU2,2026-02-01T09:00,30,2026-02-01T09:00,2026-02-01T09:30\n"  # on time, full
    )
    r = submit(provider_a, text)
    assert (r.visits, r.delivered, r.missed, r.late_starts, r.length_compliant) == (4, 3, 1, 1, 1)
    assert float(r.length_compliance) == pytest.approx(1 / 3, abs=1e-4)


def _xlsx_with_dimension(rows, ref: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_xlsx(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data
                )
                assert count == 1
            target.writestr(item, data)
    return out.getvalue()


def test_xlsx_rows_past_a_wrong_dimension_tag_are_all_read(provider_a):
    """openpyxl's read-only mode trusts <dimension>; a sheet claiming A1:F3 still has 6 visits."""
    rows = [
        [f"V{i}", "SU1", f"2026-01-0{i}T09:00", 30, f"2026-01-0{i}T09:00", f"2026-01-0{i}T09:30"]
        for i in range(1, 7)
    ]
    r = submit_bytes(provider_a, _xlsx_with_dimension(rows, "A1:F3"), name="q4.xlsx")
    assert (r.visits, r.delivered, r.length_compliant) == (6, 6, 6)


WINDOWS_1252 = (HEADER + "V1,Zoé,2026-01-05T09:00,30,2026-01-05T09:10,2026-01-05T09:40\n").encode(
    "cp1252"
)


def test_a_windows_1252_file_is_refused_whole(provider_a):
    with pytest.raises(ReturnRejected) as caught:
        submit_bytes(provider_a, WINDOWS_1252)
    assert caught.value.rows() == [
        {
            "row": 0,
            "errors": [
                {"column": "", "message": "the file must be a UTF-8 CSV or an XLSX workbook"}
            ],
        }
    ]
    assert KpiReturn.objects.count() == 0


def test_a_csv_syntax_error_is_refused_with_its_row(provider_a):
    """A field past the csv module's size limit is a csv.Error, not a 500."""
    text = HEADER + "V1,SU1,2026-01-05T09:00,30,,\n" + "V2," + "x" * 200_000 + ",,30,,\n"
    with pytest.raises(ReturnRejected) as caught:
        submit_bytes(provider_a, text.encode())
    [error] = caught.value.errors
    assert error.row == 2
    assert error.message.startswith("the file must be a UTF-8 CSV or an XLSX workbook")


def test_an_overflowing_planned_length_is_a_row_error(provider_a):
    text = HEADER + "V1,SU1,2026-01-05T09:00,1e400,,\n" + "V2,SU1,2026-01-05T09:00,nan,,\n"
    with pytest.raises(ReturnRejected) as caught:
        submit(provider_a, text)
    assert [(e.row, e.column, e.message) for e in caught.value.errors] == [
        (1, "planned_minutes", "'1e400' is not a number of minutes"),
        (2, "planned_minutes", "'nan' is not a number of minutes"),
    ]


def submit_bytes(provider, data: bytes, name: str = "q4.csv"):
    return kpi_return_submit(
        actor=None,
        provider=provider,
        quarter=Q4,
        file=io.BytesIO(data),
        file_name=name,
        now=AFTER_Q4,
    )


def test_api_non_utf8_and_overflow_answer_400_with_rows(api_as, olivia, after_q4):  # noqa: F811
    for data in (WINDOWS_1252, (HEADER + "V1,SU1,2026-01-05T09:00,1e400,,\n").encode()):
        response = api_as(olivia).post(
            "/api/v1/kpi/returns/",
            {"quarter": "2025-26-Q4", "file": SimpleUploadedFile("q4.csv", data, "text/csv")},
            format="multipart",
        )
        assert response.status_code == 400, response.content
        assert response.json()["rows"]
    assert KpiReturn.objects.count() == 0


def test_the_upload_page_shows_a_non_utf8_file_in_the_error_summary(
    client,
    olivia,
    owes_q4,  # noqa: F811
    after_q4,  # noqa: F811
):
    client.force_login(olivia)
    response = client.post(
        "/kpi/returns/new/",
        {"quarter": "2025-26-Q4", "file": SimpleUploadedFile("q4.csv", WINDOWS_1252, "text/csv")},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "nothing has been saved" in page
    assert "The file must be a UTF-8 CSV or an XLSX workbook" in page
