"""`manage.py import_register FILE` (W2, W4): creates providers and branches, sets coverage and
publishes one register version; a bad file exits non-zero naming the row and changes nothing."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from providers.models import Branch, CqcRating, PdpsStatus, Provider
from tests.factories import WardFactory
from wards.models import Coverage, RegisterVersion

pytestmark = pytest.mark.django_db

HEADER = "provider_ref,provider_name,branch_ref,branch_name,ward_code"
GOOD = f"""{HEADER}
PA,Amber Homecare Ltd,A1,Preston,E05012001
PA,Amber Homecare Ltd,A1,Preston,E05012002
PA,Amber Homecare Ltd,A2,Chorley,E05012003
PB,Birch Care Services,B1,Lancaster,E05012001
"""
EXTRA_HEADER = HEADER + ",notification_email,cqc_rating,senior_manager_email,joined_on"


@pytest.fixture(autouse=True)
def wards(db):
    return [WardFactory(code=f"E0501200{n}", name=f"Ward {n}") for n in range(1, 5)]


def write(tmp_path, text: str) -> str:
    path = tmp_path / "register.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Provider.objects.count(),
        Branch.objects.count(),
        Coverage.objects.count(),
        RegisterVersion.objects.count(),
        AuditEvent.objects.count(),
    )


def test_good_file_creates_providers_branches_and_publishes_version_1(tmp_path):
    out = run("import_register", write(tmp_path, GOOD))
    assert out.strip() == (
        "Imported register: 2 providers created, 3 branches created; "
        "published register v1 (4 added, 0 removed)"
    )
    assert Provider.objects.get(ref="PA").pdps_status == PdpsStatus.ACTIVE
    assert Coverage.objects.in_force().count() == 4
    assert list(Branch.objects.get(ref="A1").coverage.values_list("ward__code", flat=True)) == [
        "E05012001",
        "E05012002",
    ]


def test_same_file_again_publishes_no_new_version(tmp_path):
    run("import_register", write(tmp_path, GOOD))
    out = run("import_register", write(tmp_path, GOOD))
    assert "0 providers created, 0 branches created" in out
    assert "no change" in out
    assert RegisterVersion.objects.filter(number__gt=0).count() == 1


def test_optional_columns_set_emails_rating_and_join_date(tmp_path):
    text = f"""{EXTRA_HEADER}
PA,Amber Homecare Ltd,A1,Preston,E05012001,preston@amber.example,Outstanding,md@amber.example,2025-02-14
PA,Amber Homecare Ltd,A1,Preston,E05012002,,,,
"""
    run("import_register", write(tmp_path, text))
    provider = Provider.objects.get(ref="PA")
    assert provider.cqc_rating == CqcRating.OUTSTANDING
    assert provider.senior_manager_email == "md@amber.example"
    assert provider.joined_on == datetime.date(2025, 2, 14)
    assert Branch.objects.get(ref="A1").notification_email == "preston@amber.example"


def test_cqc_rating_accepts_the_code_as_well_as_the_label(tmp_path):
    text = f"{EXTRA_HEADER}\nPA,Amber,A1,Preston,E05012001,,requires_improvement,,\n"
    run("import_register", write(tmp_path, text))
    assert Provider.objects.get(ref="PA").cqc_rating == CqcRating.REQUIRES_IMPROVEMENT


BAD_FILES = {
    "unknown-ward": (
        GOOD + "PB,Birch Care Services,B1,Lancaster,E05099999\n",
        "row 5 (ward_code): no ward with code 'E05099999'",
    ),
    "mismatched-provider-name": (
        GOOD + "PB,Birch Care Ltd,B1,Lancaster,E05012002\n",
        "row 5 (provider_name): differs from row 4",
    ),
    "mismatched-branch-name": (
        GOOD + "PB,Birch Care Services,B1,Morecambe,E05012002\n",
        "row 5 (branch_name): differs from row 4",
    ),
    "repeated-pair": (
        GOOD + "PB,Birch Care Services,B1,Lancaster,E05012001\n",
        "row 5 (ward_code): repeats row 4",
    ),
    "empty-branch-ref": (
        GOOD + "PB,Birch Care Services,,Lancaster,E05012002\n",
        "row 5 (branch_ref): is empty",
    ),
    "bad-email": (
        f"{EXTRA_HEADER}\nPA,Amber,A1,Preston,E05012001,preston.amber.example,,,\n",
        "row 1 (notification_email): 'preston.amber.example' is not an e-mail address",
    ),
    "bad-senior-manager-email": (
        f"{EXTRA_HEADER}\nPA,Amber,A1,Preston,E05012001,,,boss@,\n",
        "row 1 (senior_manager_email)",
    ),
    "bad-date": (
        f"{EXTRA_HEADER}\nPA,Amber,A1,Preston,E05012001,,,,14/02/2025\n",
        "row 1 (joined_on): '14/02/2025' is not a date like 2025-02-14",
    ),
    "impossible-date": (
        f"{EXTRA_HEADER}\nPA,Amber,A1,Preston,E05012001,,,,2025-02-30\n",
        "row 1 (joined_on)",
    ),
    "bad-rating": (
        f"{EXTRA_HEADER}\nPA,Amber,A1,Preston,E05012001,,Excellent,,\n",
        "row 1 (cqc_rating): 'Excellent' is not a CQC rating",
    ),
    "too-long-ref": (
        f"{HEADER}\n{'P' * 33},Amber,A1,Preston,E05012001\n",
        "row 1 (provider_ref): is longer than 32 characters",
    ),
    "missing-column": (
        "provider_ref,provider_name,branch_ref,ward_code\nPA,Amber,A1,E05012001\n",
        "header: missing column(s) branch_name",
    ),
}


@pytest.mark.parametrize(("text", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_exits_nonzero_naming_the_row_and_changes_nothing(tmp_path, text, expected):
    before = counts()
    with pytest.raises(CommandError) as error:
        run("import_register", write(tmp_path, text))
    message = str(error.value)
    assert "\n" not in message
    assert expected in message
    assert counts() == before


def test_bad_file_after_a_good_one_keeps_the_register_as_it_was(tmp_path):
    run("import_register", write(tmp_path, GOOD))
    before = counts()
    changed = GOOD.replace("E05012002", "E05012004") + "PC,Cedar Care,C1,Fylde,E05000000\n"
    with pytest.raises(CommandError, match="row 5"):
        run("import_register", write(tmp_path, changed))
    assert counts() == before
    assert not Provider.objects.filter(ref="PC").exists()
    assert Branch.objects.get(ref="A1").coverage.in_force().filter(ward__code="E05012002").exists()


def test_row_errors_are_listed_on_stderr_before_the_summary(tmp_path):
    text = GOOD + "PB,Birch,B1,Lancaster,E05099999\n"
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_register", write(tmp_path, text), stdout=StringIO(), stderr=err)
    assert "row 5 (provider_name): differs from row 4 ('Birch Care Services')" in err.getvalue()
    assert "row 5 (ward_code): no ward with code 'E05099999'" in err.getvalue()


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(CommandError, match="^no such file: "):
        run("import_register", str(tmp_path / "missing.csv"))
