"""A KPI service's refusal reaches the API client through the one exception handler (issue 9.2)."""

from __future__ import annotations

from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile

from core import api as core_api
from core.errors import as_domain_error
from kpi.returns import ReturnRejected
from kpi.services import KpiError

from .test_returns import AFTER_Q4, GOOD, HEADER

URL = "/api/v1/kpi/returns/"


def post(client, text: str):
    upload = SimpleUploadedFile("q4.csv", text.encode(), content_type="text/csv")
    return client.post(URL, {"quarter": "2025-26-Q4", "file": upload}, format="multipart")


def test_a_second_return_for_a_quarter_is_a_state_conflict_answered_409(api_as, olivia):
    client = api_as(olivia)
    with mock.patch("django.utils.timezone.now", return_value=AFTER_Q4):
        assert post(client, GOOD).status_code == 201
        with mock.patch.object(core_api, "as_domain_error", wraps=as_domain_error) as seen:
            again = post(client, GOOD)
    assert isinstance(seen.call_args.args[0], KpiError)
    assert again.status_code == 409
    assert again.json() == {
        "detail": "Amber Homecare Ltd has already made its return for 2025-26-Q4."
    }


def test_a_refused_file_reaches_the_client_as_rows_through_the_handler(api_as, olivia):
    bad = HEADER + "V1,SU1,2026-01-05T09:00,30,2026-01-05T09:10,2026-01-05T09:00\n"
    with (
        mock.patch("django.utils.timezone.now", return_value=AFTER_Q4),
        mock.patch.object(core_api, "as_domain_error", wraps=as_domain_error) as seen,
    ):
        response = post(api_as(olivia), bad)
    assert isinstance(seen.call_args.args[0], ReturnRejected)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"rows", "error_count", "bad_rows", "detail"}
    assert body["rows"][0]["row"] == 1 and (body["error_count"], body["bad_rows"]) == (1, 1)
