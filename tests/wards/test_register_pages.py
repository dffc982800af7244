"""Register pages (W2, W4): compare any two versions on a page and as CSV; the contract managers'
upload page, all or nothing with every bad row listed; the export reproduces the import exactly."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.models import Provider
from tests.factories import WardFactory
from wards.models import RegisterVersion, Ward
from wards.services import register_change, register_current_version

pytestmark = pytest.mark.django_db

IMPORT = reverse("wards:import")
REGISTER = (
    "provider_ref,provider_name,branch_ref,branch_name,ward_code\r\n"
    "PA,Amber Homecare Ltd,A1,Preston,E05012001\r\n"
    "PA,Amber Homecare Ltd,A1,Preston,E05012002\r\n"
    "PB,Birch Care Services,B1,Lancaster,E05012003\r\n"
)
WARDS = (
    "ward_code,ward_name,district\r\n"
    "E05012001,Fishwick,Preston\r\n"
    "E05012002,Ribbleton,Preston\r\n"
    "E05012003,Chorley East,Chorley\r\n"
)


def upload(client, kind: str, text: str, note: str = ""):
    file = SimpleUploadedFile(f"{kind}.csv", text.encode(), content_type="text/csv")
    return client.post(IMPORT, {"kind": kind, "file": file, "note": note})


@pytest.fixture
def three_versions(branch_a1, branch_b1, carl):
    w1, w2, w3 = (WardFactory(code=f"E0501200{n}") for n in (1, 2, 3))
    register_change(add=[(branch_a1, w1), (branch_b1, w1)], note="First")
    register_change(add=[(branch_a1, w2)], actor=carl, note="Second")
    register_change(add=[(branch_b1, w3)], remove=[(branch_b1, w1)], actor=carl, note="Third")


def test_versions_page_shows_who_approved_and_a_compare_form(client, carl, three_versions):
    client.force_login(carl)
    html = client.get(reverse("wards:register-versions")).content.decode()
    assert "Approved by" in html and "carl" in html
    assert 'action="/wards/register/compare/"' in html
    assert '<option value="2" selected>v2</option>' in html  # compared with the one before


def test_compare_any_two_versions(client, carl, three_versions):
    client.force_login(carl)
    response = client.get(reverse("wards:register-compare"), {"version": 3, "since": 1})
    assert response["Location"] == "/wards/register/v3/changes/?since=1"
    html = client.get(response["Location"]).content.decode()
    assert "Register v3 compared with v1" in html
    assert "Added (2)" in html and "Removed (1)" in html


def test_compare_with_an_unknown_version_goes_back_to_the_list(client, carl, three_versions):
    client.force_login(carl)
    response = client.get(reverse("wards:register-compare"), {"version": 9, "since": 1})
    assert response["Location"] == reverse("wards:register-versions")


def test_comparison_as_csv(client, carl, three_versions):
    client.force_login(carl)
    response = client.get("/wards/register/v3/changes.csv", {"since": 1})
    assert response.status_code == 200
    assert 'filename="ward-register-v3-since-v1.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == [
        "change",
        "provider_ref",
        "provider_name",
        "branch_ref",
        "branch_name",
        "ward_code",
    ]
    assert [(r[0], r[3], r[5]) for r in rows[1:]] == [
        ("added", "A1", "E05012002"),
        ("added", "B1", "E05012003"),
        ("removed", "B1", "E05012001"),
    ]


def test_comparison_csv_with_bad_since_is_400(client, carl, three_versions):
    client.force_login(carl)
    assert client.get("/wards/register/v3/changes.csv", {"since": "x"}).status_code == 400


def test_provider_may_not_compare(client, alice, three_versions):
    client.force_login(alice)
    assert client.get("/wards/register/v3/changes.csv").status_code == 403
    assert client.get(reverse("wards:register-compare"), {"version": 3}).status_code == 403


def test_upload_page_is_for_contract_managers_only(client, alice, nina, carl):
    for user in (alice, nina):
        client.force_login(user)
        assert client.get(IMPORT).status_code == 403
    client.force_login(carl)
    assert client.get(IMPORT).status_code == 200


def test_uploading_wards_then_the_register_publishes_a_version(client, carl):
    client.force_login(carl)
    assert upload(client, "wards", WARDS).status_code == 302
    assert Ward.objects.count() == 3
    response = upload(client, "register", REGISTER, note="v28 from the spreadsheet")
    assert response["Location"] == reverse("wards:register-versions")
    version = RegisterVersion.objects.get(number=1)
    assert (version.added, version.published_by, version.note) == (
        3,
        carl,
        "v28 from the spreadsheet",
    )
    html = client.get(response["Location"]).content.decode()
    assert "Register v1 published (3 added, 0 removed)" in html


def test_bad_rows_are_listed_with_row_column_and_message_and_nothing_is_saved(client, carl):
    client.force_login(carl)
    upload(client, "wards", WARDS)
    bad = (
        "provider_ref,provider_name,branch_ref,branch_name,ward_code\r\n"
        "PA,Amber Homecare Ltd,A1,Preston,E05012001\r\n"
        "PA,Amber Homecare Ltd,,Preston,E05099999\r\n"
    )
    response = upload(client, "register", bad)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and "Nothing was imported" in html
    assert "Row 2, branch_ref: is empty" in html
    assert "Row 2, ward_code: no ward with code &#x27;E05099999&#x27;; import wards first" in html
    assert 'id="row-error-2"' in html
    assert not Provider.objects.exists() and register_current_version() == 0


def test_a_file_missing_columns_is_refused_at_the_header(client, carl):
    client.force_login(carl)
    html = upload(client, "wards", "code,name\r\nE05012001,Fishwick\r\n").content.decode()
    assert "Header: missing column(s) ward_code, ward_name, district" in html
    assert not Ward.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(client, carl):
    client.force_login(carl)
    file = SimpleUploadedFile(
        "w.csv", "ward_code,ward_name,district\r\nE05012001,Sk\xf8,P\r\n".encode("latin-1")
    )
    html = client.post(IMPORT, {"kind": "wards", "file": file}).content.decode()
    assert "The file must be a UTF-8 CSV file" in html


def test_no_file_or_kind_chosen_shows_errors(client, carl):
    client.force_login(carl)
    html = client.post(IMPORT, {}).content.decode()
    assert "Choose wards or ward register" in html and "Choose a CSV file" in html


def test_round_trip_through_the_pages_reproduces_the_files_exactly(client, carl):
    client.force_login(carl)
    upload(client, "wards", WARDS)
    upload(client, "register", REGISTER)
    register_csv = client.get(reverse("wards:register-version-csv", args=[1])).content.decode()
    wards_csv = client.get(reverse("wards:list-csv")).content.decode()
    assert register_csv == REGISTER
    assert wards_csv == WARDS
    response = upload(client, "register", register_csv)
    assert "no new version" in client.get(response["Location"]).content.decode()
    assert register_current_version() == 1
