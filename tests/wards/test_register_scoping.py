"""A1 for the ward register: a provider user lists every version, but its downloads and
comparisons (API and page) hold only the coverage of branches it may see; council staff see all."""

import csv
import io

import pytest

from tests.factories import WardFactory
from wards.services import register_change, register_export_rows

pytestmark = pytest.mark.django_db

API = "/api/v1/register/versions/"


@pytest.fixture
def versions(branch_a1, branch_a2, branch_b1, carl):
    w1, w2 = WardFactory(code="E05012001"), WardFactory(code="E05012002")
    register_change(add=[(branch_a1, w1), (branch_b1, w1)], note="First register")
    register_change(add=[(branch_a2, w2), (branch_b1, w2)], actor=carl, note="More")


def pairs(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.status_code
    body = list(csv.reader(io.StringIO(response.content.decode())))
    assert body[0] == ["provider_ref", "provider_name", "branch_ref", "branch_name", "ward_code"]
    return [(r[2], r[4]) for r in body[1:]]


ALL = [("A1", "E05012001"), ("A2", "E05012002"), ("B1", "E05012001"), ("B1", "E05012002")]


def test_provider_org_api_export_holds_only_its_own_rows(api_as, olivia, brenda, versions):
    assert pairs(api_as(olivia).get(f"{API}2/export.csv")) == ALL[:2]
    assert pairs(api_as(brenda).get(f"{API}2/export.csv")) == ALL[2:]


def test_branch_user_export_holds_only_its_branch(api_as, alice, versions):
    assert pairs(api_as(alice).get(f"{API}2/export.csv")) == [("A1", "E05012001")]


def test_council_api_export_holds_every_row(api_as, carl, nina, versions):
    assert pairs(api_as(carl).get(f"{API}2/export.csv")) == ALL
    assert pairs(api_as(nina).get(f"{API}2/export.csv")) == ALL


def test_provider_still_lists_every_version(api_as, olivia, versions):
    assert [v["number"] for v in api_as(olivia).get(API).json()["results"]] == [2, 1]


def test_provider_changes_hold_only_its_own_coverage(api_as, olivia, carl, versions):
    mine = api_as(olivia).get(f"{API}2/changes/?since=0").json()
    assert [(r["branch_ref"], r["ward_code"]) for r in mine["added"]] == ALL[:2]
    assert mine["removed"] == []
    backwards = api_as(olivia).get(f"{API}1/changes/").json()  # since 0: v1's pairs
    assert {r["provider_ref"] for r in backwards["added"]} == {"PA"}
    everything = api_as(carl).get(f"{API}2/changes/?since=0").json()
    assert [(r["branch_ref"], r["ward_code"]) for r in everything["added"]] == ALL


def test_page_download_is_scoped_the_same_way(client, olivia, carl, versions):
    client.force_login(olivia)
    assert pairs(client.get("/wards/register/v2.csv")) == ALL[:2]
    client.force_login(carl)
    assert pairs(client.get("/wards/register/v2.csv")) == ALL


def test_register_export_rows_without_a_user_is_the_whole_register(versions):
    """Commands and jobs (export_register) still get everything."""
    assert [(r[2], r[4]) for r in register_export_rows(2)[1:]] == ALL


def test_providers_do_not_see_the_councils_notes_on_versions(api_as, olivia, carl, branch_a1, ward):
    """A2: a contract manager's comment may name another provider."""
    from wards.services import register_change

    register_change(
        add=[(branch_a1, ward)], actor=carl, note="Approved after Birch Care left the ward"
    )
    provider_view = api_as(olivia).get("/api/v1/register/versions/").json()["results"][0]
    council_view = api_as(carl).get("/api/v1/register/versions/").json()["results"][0]
    assert provider_view["note"] == "" and provider_view["published_by"] is None
    assert council_view["note"] == "Approved after Birch Care left the ward"
