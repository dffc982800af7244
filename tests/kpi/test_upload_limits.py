# ruff: noqa: F811 - the fixtures imported from test_returns are used as arguments
"""Issue 14.2: bounded uploads. A visit file over the limits (size, rows, an XLSX workbook's
unpacked parts and claimed dimensions) is refused before it is parsed, with a sentence saying
which limit; a large file is read by a Celery task while the page shows progress and the API
answers 202 with a location to poll."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpi.models import KpiReturn, KpiReturnUpload, UploadState
from kpi.returns import ReturnRejected, check_return_file
from kpi.services import kpi_return_read

from .test_return_file_fixes import _xlsx_with_dimension
from .test_returns import (  # noqa: F401 - fixtures
    GOOD,
    HEADER,
    _xlsx,
    after_q4,
    owes_q4,
)

pytestmark = pytest.mark.django_db

ROW = "V{n},SU1,2026-01-05T09:00,30,2026-01-05T09:10,2026-01-05T09:40\n"


def visits(count: int, bad: set[int] = frozenset()) -> bytes:
    """A CSV of `count` good visits (row numbers in `bad` get an unreadable planned start)."""
    lines = [HEADER]
    for n in range(1, count + 1):
        line = ROW.format(n=n)
        lines.append(line.replace("2026-01-05T09:00", "soon", 1) if n in bad else line)
    return "".join(lines).encode()


def post(client, data: bytes, name: str = "q4.csv"):
    return client.post(
        "/api/v1/kpi/returns/",
        {"quarter": "2025-26-Q4", "file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


def messages(response) -> list[str]:
    return [e["message"] for row in response.json()["rows"] for e in row["errors"]]


# -- limits, checked before parsing ---------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_saying_the_limit(api_as, olivia, after_q4, settings):
    settings.KPI_RETURN_MAX_BYTES = 1_000
    response = post(api_as(olivia), visits(20))
    assert response.status_code == 400
    size = len(visits(20))
    assert messages(response) == [
        f"the file is {size // 1000} KB; files of up to 1 KB are accepted"
    ]
    assert not KpiReturn.objects.exists() and not KpiReturnUpload.objects.exists()


def test_a_csv_with_too_many_rows_is_refused_at_the_first_row_past_the_limit(
    api_as, olivia, after_q4, settings
):
    settings.KPI_RETURN_MAX_ROWS = 10
    assert post(api_as(olivia), visits(10)).status_code == 201
    KpiReturn.objects.all().delete()
    response = post(api_as(olivia), visits(11))
    assert response.status_code == 400
    assert messages(response) == ["the file has more than 10 rows; up to 10 are accepted"]
    assert not KpiReturn.objects.exists()


def zip_bomb_claiming(ref: str) -> bytes:
    """A tiny workbook whose sheet claims the dimension `ref`."""
    return _xlsx_with_dimension([["V1", "SU1", "2026-01-05T09:00", 30, None, None]], ref)


def test_a_tiny_xlsx_claiming_fifty_million_rows_is_refused_fast(api_as, olivia, after_q4):
    data = zip_bomb_claiming("A1:F50000000")
    assert len(data) < 10_000
    started = time.perf_counter()
    response = post(api_as(olivia), data, "q4.xlsx")
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert messages(response) == [
        "the sheet claims 49,999,999 rows; files of up to 500,000 rows are accepted"
    ]
    assert elapsed < 2, elapsed
    assert not KpiReturnUpload.objects.exists()


def test_an_xlsx_claiming_too_many_columns_is_refused(provider_a):
    with pytest.raises(ReturnRejected) as refused:
        check_return_file(io.BytesIO(zip_bomb_claiming("A1:ZZ10")), "q4.xlsx")
    assert refused.value.errors[0].message == (
        "the sheet claims 702 columns; files of up to 50 columns are accepted"
    )


def _with_part(name: str, data: bytes) -> bytes:
    """A real workbook with one more part added (compressed as a zip bomb would be)."""
    out = io.BytesIO(_xlsx([["V1", "SU1", "2026-01-05T09:00", 30, None, None]]))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as workbook:
        workbook.writestr(name, data)
    return out.getvalue()


def test_an_xlsx_part_compressed_like_a_zip_bomb_is_refused_without_unpacking(provider_a):
    data = _with_part("xl/media/filler.xml", b"a" * 30_000_000)
    assert len(data) < 100_000
    started = time.perf_counter()
    with pytest.raises(ReturnRejected) as refused:
        check_return_file(io.BytesIO(data), "q4.xlsx")
    assert time.perf_counter() - started < 1
    message = refused.value.errors[0].message
    assert message.startswith("the workbook's part xl/media/filler.xml is compressed ")
    assert message.endswith("times; more than 100 times is refused as a zip bomb")


def test_an_xlsx_unpacking_too_large_or_with_too_much_text_is_refused(provider_a, settings):
    data = _with_part("xl/sharedStrings.xml", b"<sst>" + b"<si><t>x</t></si>" * 100 + b"</sst>")
    settings.XLSX_MAX_SHARED_STRINGS_BYTES = 1_000
    with pytest.raises(ReturnRejected, match="the workbook's text unpacks to 1 KB; up to 1 KB"):
        check_return_file(io.BytesIO(data), "q4.xlsx")
    settings.XLSX_MAX_UNPACKED_BYTES = 5_000
    with pytest.raises(ReturnRejected, match="the workbook unpacks to .*; workbooks of up to 5 KB"):
        check_return_file(io.BytesIO(data), "q4.xlsx")


def test_the_upload_page_says_which_limit_a_file_broke(client, olivia, owes_q4, after_q4):
    client.force_login(olivia)
    response = client.post(
        reverse("kpi:return-upload"),
        {
            "quarter": "2025-26-Q4",
            "file": SimpleUploadedFile("q4.xlsx", zip_bomb_claiming("A1:F50000000")),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "nothing has been saved" in page
    assert "The sheet claims 49,999,999 rows; files of up to 500,000 rows are accepted" in page


# -- large files are read by the worker ------------------------------------------------------------


@pytest.fixture
def small_inline(settings):
    """Files over 1 KB go to the worker."""
    settings.KPI_RETURN_INLINE_MAX_BYTES = 1_000


def test_api_answers_202_with_a_location_then_the_return(
    api_as, olivia, after_q4, small_inline, django_capture_on_commit_callbacks
):
    client = api_as(olivia)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(client, visits(40))
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["state"], body["rows_read"], body["kpi_return"]) == ("queued", 0, None)
    location = response["Location"]
    assert location == f"/api/v1/kpi/return-uploads/{body['id']}/"
    assert client.get(location).json()["state"] == "queued"
    assert len(queued) == 1
    queued[0]()  # the worker (eager in tests) reads it
    polled = client.get(location).json()
    assert polled["state"] == "received"
    assert polled["rows_read"] == 40 and polled["rows"] == []
    assert polled["kpi_return"]["visits"] == 40
    assert KpiReturn.objects.get().visits == 40


def test_api_a_large_file_with_bad_rows_is_refused_with_rows_as_api_md_says(
    api_as, olivia, after_q4, small_inline, django_capture_on_commit_callbacks
):
    client = api_as(olivia)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, visits(40, bad={3, 7}))
    assert response.status_code == 202
    polled = client.get(response["Location"]).json()
    assert polled["state"] == "refused" and polled["kpi_return"] is None
    assert [r["row"] for r in polled["rows"]] == [3, 7]
    assert polled["rows"][0]["errors"][0]["column"] == "planned_start"
    assert (polled["error_count"], polled["bad_rows"]) == (2, 2)
    assert not KpiReturn.objects.exists()
    upload = KpiReturnUpload.objects.get()
    assert bytes(upload.content) == b""  # the file is not kept once read


def test_reading_twice_makes_one_return(
    olivia, provider_a, api_as, after_q4, small_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_as(olivia), visits(40))
    assert kpi_return_read(upload_id=response.json()["id"]) == "already read"
    assert KpiReturn.objects.count() == 1


def test_another_providers_upload_is_404_and_a_provider_sees_its_own(
    api_as, client, olivia, bob, after_q4, small_inline
):
    response = post(api_as(olivia), visits(40))
    pk = response.json()["id"]
    assert api_as(bob).get(f"/api/v1/kpi/return-uploads/{pk}/").status_code == 404
    client.force_login(bob)
    assert client.get(reverse("kpi:return-upload-status", args=[pk])).status_code == 404


def test_the_page_shows_progress_then_the_return(
    client, olivia, owes_q4, after_q4, small_inline, django_capture_on_commit_callbacks
):
    client.force_login(olivia)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("kpi:return-upload"),
            {"quarter": "2025-26-Q4", "file": SimpleUploadedFile("q4.csv", visits(40))},
        )
    upload = KpiReturnUpload.objects.get()
    status_url = reverse("kpi:return-upload-status", args=[upload.pk])
    assert response.status_code == 302 and response["Location"] == status_url
    page = client.get(status_url).content.decode()
    assert "Your file is being read" in page and "0</span> rows read so far" in page
    KpiReturnUpload.objects.filter(pk=upload.pk).update(state=UploadState.READING, rows_read=5000)
    assert client.get(status_url, HTTP_ACCEPT="application/json").json() == {
        "state": "reading",
        "rows_read": 5000,
        "finished": False,
    }
    assert "5,000</span> rows read so far" in client.get(status_url).content.decode()
    KpiReturnUpload.objects.filter(pk=upload.pk).update(state=UploadState.QUEUED, rows_read=0)
    queued[0]()
    done = client.get(status_url)
    assert done.status_code == 302
    assert done["Location"] == reverse("kpi:return", args=[KpiReturn.objects.get().pk])


def test_the_page_shows_a_large_files_row_errors(
    client, olivia, owes_q4, after_q4, small_inline, django_capture_on_commit_callbacks
):
    client.force_login(olivia)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("kpi:return-upload"),
            {"quarter": "2025-26-Q4", "file": SimpleUploadedFile("q4.csv", visits(40, bad={9}))},
        )
    upload = KpiReturnUpload.objects.get()
    page = client.get(reverse("kpi:return-upload-status", args=[upload.pk])).content.decode()
    assert "nothing has been saved" in page
    assert "&#x27;soon&#x27; is not an ISO 8601 date-time" in page
    assert ">9</td>" in page


def test_progress_is_reported_while_reading(
    olivia, after_q4, small_inline, api_as, django_capture_on_commit_callbacks, monkeypatch
):
    """The worker reports rows read every PROGRESS_EVERY rows (5 here)."""
    import kpi.returns

    monkeypatch.setattr(kpi.returns, "PROGRESS_EVERY", 5)
    seen = []
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(api_as(olivia), visits(40))
    pk = response.json()["id"]
    from kpi.services import return_uploads

    real_submit = return_uploads.kpi_return_submit

    def submit(**kwargs):
        wrapped = kwargs["progress"]

        def progress(rows):
            wrapped(rows)
            seen.append(KpiReturnUpload.objects.get(pk=pk).rows_read)

        return real_submit(**{**kwargs, "progress": progress})

    monkeypatch.setattr(return_uploads, "kpi_return_submit", submit)
    queued[0]()
    assert seen == [5, 10, 15, 20, 25, 30, 35, 40]
