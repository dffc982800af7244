"""Issue 14.2 and 14.4: the ward and register CSV imports are bounded (file size, rows) and a NUL
byte is a row error, on the page and in the commands, never a 500 or a traceback."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from providers.models import Provider
from wards.models import Ward

pytestmark = pytest.mark.django_db

IMPORT = reverse("wards:import")
WARDS = "ward_code,ward_name,district\r\n" + "".join(
    f"E050120{n:02d},Ward {n},Preston\r\n" for n in range(1, 21)
)
NUL_WARDS = "ward_code,ward_name,district\r\nE05012001,Fish\x00wick,Preston\r\n"
NUL_REGISTER = (
    "provider_ref,provider_name,branch_ref,branch_name,ward_code\r\n"
    "PA,Amber\x00 Homecare,A1,Preston,E05012001\r\n"
)


def upload(client, kind: str, text: str):
    file = SimpleUploadedFile(f"{kind}.csv", text.encode(), content_type="text/csv")
    return client.post(IMPORT, {"kind": kind, "file": file})


@pytest.mark.parametrize(
    "kind, text, where",
    [("wards", NUL_WARDS, "Row 1, ward_name"), ("register", NUL_REGISTER, "Row 1, provider_name")],
)
def test_a_nul_byte_is_a_row_error_on_the_page(client, carl, ward, kind, text, where):
    client.force_login(carl)
    response = upload(client, kind, text)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{where}: contains a NUL character: the file is not a plain-text CSV" in page
    assert list(Ward.objects.values_list("name", flat=True)) == ["Fishwick"]  # the `ward` alone
    assert not Provider.objects.exists()


@pytest.mark.parametrize(
    "command, text", [("import_wards", NUL_WARDS), ("import_register", NUL_REGISTER)]
)
def test_a_nul_byte_is_a_one_line_command_error(tmp_path, ward, command, text):
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="^1 problem in 1 row\\(s\\), nothing imported: row 1"):
        call_command(command, str(path), stdout=StringIO(), stderr=err)
    assert "contains a NUL character" in err.getvalue()


def test_a_file_over_the_size_limit_is_refused_saying_the_limit(client, carl, settings):
    settings.IMPORT_CSV_MAX_BYTES = 100
    client.force_login(carl)
    page = upload(client, "wards", WARDS).content.decode()
    assert f"the file is {len(WARDS.encode())} bytes; files of up to 100 bytes are accepted" in page
    assert not Ward.objects.exists()


def test_a_file_with_too_many_rows_is_refused(client, carl, settings, tmp_path):
    settings.IMPORT_CSV_MAX_ROWS = 19
    client.force_login(carl)
    page = upload(client, "wards", WARDS).content.decode()
    assert "the file has more than 19 rows; up to 19 are accepted" in page
    assert not Ward.objects.exists()
    path = tmp_path / "wards.csv"
    path.write_text(WARDS, encoding="utf-8")
    with pytest.raises(CommandError, match="more than 19 rows"):
        call_command("import_wards", str(path), stdout=StringIO(), stderr=StringIO())
    settings.IMPORT_CSV_MAX_ROWS = 20
    call_command("import_wards", str(path), stdout=StringIO(), stderr=StringIO())
    assert Ward.objects.count() == 20
