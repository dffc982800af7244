"""`manage.py import_wards FILE` (W1, W4): good files import; bad files exit non-zero, change nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wards.models import Ward

pytestmark = pytest.mark.django_db

GOOD = """ward_code,ward_name,district
E05012001,Fishwick & Frenchwood,Preston
E05012002,Deepdale,Preston
E05009001,Bank Hall,Burnley
"""


def write(tmp_path, text: str, name: str = "wards.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_file_creates_wards_and_prints_one_line(tmp_path):
    out, _ = run("import_wards", write(tmp_path, GOOD))
    assert out.strip() == "Imported wards: 3 created, 0 updated, 0 unchanged"
    assert Ward.objects.get(code="E05009001").district == "Burnley"


def test_second_import_updates_renamed_ward_and_counts_unchanged(tmp_path):
    run("import_wards", write(tmp_path, GOOD))
    renamed = GOOD.replace("Deepdale,Preston", "Deepdale & Moor Park,Preston")
    out, _ = run("import_wards", write(tmp_path, renamed))
    assert out.strip() == "Imported wards: 0 created, 1 updated, 2 unchanged"
    assert Ward.objects.get(code="E05012002").name == "Deepdale & Moor Park"


def test_file_with_byte_order_mark_from_excel_imports(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    run("import_wards", str(path))
    assert Ward.objects.count() == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD + "E0501,Short,Preston\n", "row 4 (ward_code)"),
        (GOOD + "E05012001,Fishwick again,Preston\n", "row 4 (ward_code): repeats row 1"),
        (GOOD + "E05012009,,Preston\n", "row 4 (ward_name): is empty"),
        ("ward_code,ward_name\nE05012001,Fishwick\n", "missing column(s) district"),
        ("ward_code,ward_name,district\n", "no ward rows"),
    ],
    ids=["bad-ward-code", "repeated-code", "empty-name", "missing-column", "no-rows"],
)
def test_bad_file_exits_nonzero_naming_the_row_and_imports_nothing(tmp_path, text, expected):
    with pytest.raises(CommandError) as error:
        run("import_wards", write(tmp_path, text))
    message = str(error.value)
    assert "\n" not in message
    assert expected in message
    assert "nothing imported" in message
    assert Ward.objects.count() == 0


def test_bad_file_lists_every_row_error_on_stderr(tmp_path):
    text = GOOD + "X1,Bad,Preston\nE05012010,,\n"
    err = StringIO()
    with pytest.raises(CommandError, match="3 problems in 2 row"):
        call_command("import_wards", write(tmp_path, text), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == [
        "row 4 (ward_code): 'X1' is not an ONS ward code like E05012345",
        "row 5 (ward_name): is empty",
        "row 5 (district): is empty",
    ]


def test_bad_file_does_not_update_existing_wards(tmp_path):
    run("import_wards", write(tmp_path, GOOD))
    renamed = GOOD.replace("Deepdale,Preston", "Renamed,Preston") + "bad,Bad,Preston\n"
    with pytest.raises(CommandError):
        run("import_wards", write(tmp_path, renamed))
    assert Ward.objects.get(code="E05012002").name == "Deepdale"


def test_missing_file_is_a_one_line_error(tmp_path):
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(CommandError, match=f"^no such file: {missing}$"):
        run("import_wards", missing)


def test_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "ward_code,ward_name,district\nE05012001,Fishwick é,Preston\n".encode("utf-16")
    )
    with pytest.raises(CommandError, match="not a UTF-8 CSV"):
        run("import_wards", str(path))
    assert Ward.objects.count() == 0
