"""`manage.py export_register` (W2, W4): the register as CSV, re-importable without change."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import WardFactory
from wards.models import RegisterVersion
from wards.services import register_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(branch_a1, branch_b1):
    w1, w2 = WardFactory(code="E05012001"), WardFactory(code="E05012002")
    register_change(add=[(branch_a1, w1), (branch_b1, w1)])
    register_change(add=[(branch_a1, w2)], remove=[(branch_b1, w1)])


def export(*args) -> list[list[str]]:
    out = StringIO()
    call_command("export_register", *args, stdout=out, stderr=StringIO())
    return list(csv.reader(StringIO(out.getvalue())))


def test_export_writes_the_register_in_force_to_stdout(two_versions):
    assert export() == [
        ["provider_ref", "provider_name", "branch_ref", "branch_name", "ward_code"],
        ["PA", "Amber Homecare Ltd", "A1", "Preston", "E05012001"],
        ["PA", "Amber Homecare Ltd", "A1", "Preston", "E05012002"],
    ]


def test_export_of_an_old_version_gives_its_pairs(two_versions):
    assert [r[2] + r[4] for r in export("--version", "1")[1:]] == ["A1E05012001", "B1E05012001"]


def test_export_to_file_then_reimport_publishes_nothing(two_versions, tmp_path):
    path = tmp_path / "register.csv"
    call_command("export_register", str(path), stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("import_register", str(path), stdout=out, stderr=StringIO())
    assert "no change" in out.getvalue()
    assert RegisterVersion.objects.order_by("-number").first().number == 2


def test_unknown_version_is_a_one_line_error(two_versions):
    with pytest.raises(CommandError, match="^no register version 9; the latest is v2$"):
        export("--version", "9")
