"""The numbered ward register (W2) and its CSV round trip (W4)."""

import csv
import io

import pytest

from tests.factories import WardFactory
from wards.models import Coverage, RegisterVersion
from wards.services import register_current_version, register_export_rows, register_import

pytestmark = pytest.mark.django_db

HEADER = "provider_ref,provider_name,branch_ref,branch_name,ward_code\n"


@pytest.fixture(autouse=True)
def wards(db):
    return {n: WardFactory(code=f"E0501200{n}") for n in range(1, 6)}


def csv_file(*rows: str) -> io.BytesIO:
    return io.BytesIO((HEADER + "".join(r + "\n" for r in rows)).encode())


FIRST = (
    "PA,Amber Homecare Ltd,A1,Preston,E05012001",
    "PA,Amber Homecare Ltd,A1,Preston,E05012002",
    "PB,Birch Care Services,B1,Lancaster,E05012003",
)


def pairs(queryset) -> set[tuple[str, str]]:
    return set(queryset.values_list("branch__ref", "ward__code"))


def test_importing_publishes_a_version_numbered_after_the_last():
    result = register_import(source=csv_file(*FIRST))
    assert result.version.number == 1
    assert (result.version.added, result.version.removed) == (3, 0)
    assert register_current_version() == 1


def test_import_with_one_pair_removed_and_one_added_publishes_next_version_counting_both():
    register_import(source=csv_file(*FIRST))
    changed = (FIRST[0], "PA,Amber Homecare Ltd,A1,Preston,E05012004", FIRST[2])
    version = register_import(source=csv_file(*changed)).version
    assert version.number == 2
    assert (version.added, version.removed) == (1, 1)


def test_in_version_gives_old_pairs_for_old_versions():
    register_import(source=csv_file(*FIRST))
    register_import(
        source=csv_file(FIRST[0], "PA,Amber Homecare Ltd,A1,Preston,E05012004", FIRST[2])
    )
    assert pairs(Coverage.objects.in_version(1)) == {
        ("A1", "E05012001"),
        ("A1", "E05012002"),
        ("B1", "E05012003"),
    }
    assert pairs(Coverage.objects.in_version(2)) == {
        ("A1", "E05012001"),
        ("A1", "E05012004"),
        ("B1", "E05012003"),
    }
    assert pairs(Coverage.objects.in_version(0)) == set()


def test_removed_pair_ends_its_coverage_rather_than_deleting_it():
    register_import(source=csv_file(*FIRST))
    register_import(source=csv_file(FIRST[0], FIRST[2]))
    ended = Coverage.objects.get(branch__ref="A1", ward__code="E05012002")
    assert ended.ended_at is not None and ended.removed_in == 2


def test_branches_missing_from_the_file_keep_their_coverage():
    register_import(source=csv_file(*FIRST))
    register_import(source=csv_file("PA,Amber Homecare Ltd,A1,Preston,E05012005"))
    assert pairs(Coverage.objects.in_force()) == {("A1", "E05012005"), ("B1", "E05012003")}


def test_export_of_current_version_reimported_gives_no_change():
    register_import(source=csv_file(*FIRST))
    register_import(
        source=csv_file(FIRST[0], "PA,Amber Homecare Ltd,A1,Preston,E05012004", FIRST[2])
    )
    out = io.StringIO()
    csv.writer(out).writerows(register_export_rows())
    result = register_import(source=io.BytesIO(out.getvalue().encode()))
    assert result.version is None
    assert (result.providers_created, result.branches_created) == (0, 0)
    assert register_current_version() == 2


def test_export_of_an_old_version_reimported_restores_it_as_a_new_version():
    register_import(source=csv_file(*FIRST))
    register_import(
        source=csv_file(FIRST[0], "PA,Amber Homecare Ltd,A1,Preston,E05012004", FIRST[2])
    )
    out = io.StringIO()
    csv.writer(out).writerows(register_export_rows(1))
    version = register_import(source=io.BytesIO(out.getvalue().encode())).version
    assert version.number == 3
    assert pairs(Coverage.objects.in_version(3)) == pairs(Coverage.objects.in_version(1))


def test_import_unchanged_but_renaming_provider_publishes_nothing_and_renames():
    register_import(source=csv_file(*FIRST))
    renamed = [r.replace("Amber Homecare Ltd", "Amber Home Care Ltd") for r in FIRST]
    assert register_import(source=csv_file(*renamed)).version is None
    assert RegisterVersion.objects.filter(number__gt=0).count() == 1
    assert register_export_rows()[1][1] == "Amber Home Care Ltd"
