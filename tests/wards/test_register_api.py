"""`/api/v1/register/versions/` and the register versions page (W2)."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import WardFactory
from wards.services import register_change

pytestmark = pytest.mark.django_db

LIST = "/api/v1/register/versions/"


@pytest.fixture
def versions(branch_a1, branch_b1, carl):
    w1, w2 = WardFactory(code="E05012001"), WardFactory(code="E05012002")
    register_change(add=[(branch_a1, w1), (branch_b1, w1)], note="First register")
    register_change(
        add=[(branch_a1, w2)], remove=[(branch_b1, w1)], actor=carl, note="Ward cleanse"
    )


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_signed_in_user_lists_versions_newest_first_with_counts(api_as, nina, versions):
    response = api_as(nina).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert {k: newest[k] for k in ("number", "published_by", "note", "added", "removed")} == {
        "number": 2,
        "published_by": "carl",
        "note": "Ward cleanse",
        "added": 1,
        "removed": 1,
    }
    assert "published_at" in newest
    assert body["results"][1]["published_by"] is None


def test_provider_user_may_list_versions_too_as_the_register_is_public(api_as, alice, versions):
    assert api_as(alice).get(LIST).json()["count"] == 2


def test_anonymous_user_may_not_list_versions(api_client, versions):
    assert api_client.get(LIST).status_code == 401


def test_empty_register_lock_row_is_not_listed_as_a_version(api_as, nina, versions):
    numbers = [v["number"] for v in api_as(nina).get(LIST).json()["results"]]
    assert numbers == [2, 1]


def test_export_csv_gives_that_versions_pairs_in_import_format(api_as, nina, versions):
    response = api_as(nina).get("/api/v1/register/versions/1/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="ward-register-v1.csv"' in response["Content-Disposition"]
    assert rows(response) == [
        ["provider_ref", "provider_name", "branch_ref", "branch_name", "ward_code"],
        ["PA", "Amber Homecare Ltd", "A1", "Preston", "E05012001"],
        ["PB", "Birch Care Services", "B1", "Lancaster", "E05012001"],
    ]


def test_provider_user_may_download_any_version_holding_only_its_own_coverage(
    api_as, bob, versions
):
    """A1: provider B's download of version 1 holds B's row, not provider A's."""
    response = api_as(bob).get("/api/v1/register/versions/1/export.csv")
    assert response.status_code == 200
    assert [r[2] for r in rows(response)[1:]] == ["B1"]
    assert rows(api_as(bob).get("/api/v1/register/versions/2/export.csv"))[1:] == []


def test_export_of_unknown_version_is_404(api_as, nina, versions):
    assert api_as(nina).get("/api/v1/register/versions/9/export.csv").status_code == 404
    assert api_as(nina).get("/api/v1/register/versions/0/export.csv").status_code == 404


def test_anonymous_user_may_not_download(api_client, versions):
    assert api_client.get("/api/v1/register/versions/1/export.csv").status_code == 401


def test_list_query_count_does_not_grow_with_versions(
    api_as, nina, versions, django_assert_max_num_queries
):
    client = api_as(nina)
    with django_assert_max_num_queries(4):
        assert client.get(LIST).status_code == 200


def test_council_user_sees_register_versions_page_with_download_links(client, carl, versions):
    client.force_login(carl)
    response = client.get(reverse("wards:register-versions"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ward cleanse" in page
    assert reverse("wards:register-version-csv", args=[2]) in page
    assert reverse("wards:register-version-csv", args=[1]) in page


def test_provider_user_may_not_open_register_versions_page(client, alice, versions):
    client.force_login(alice)
    assert client.get(reverse("wards:register-versions")).status_code == 403


def test_page_download_gives_the_csv(client, nina, versions):
    client.force_login(nina)
    response = client.get("/wards/register/v2.csv")
    assert response.status_code == 200
    assert rows(response)[1][4] == "E05012001"


def test_page_download_of_unknown_version_is_404(client, nina, versions):
    client.force_login(nina)
    assert client.get("/wards/register/v7.csv").status_code == 404


def test_anonymous_user_is_sent_to_sign_in_for_the_page(client, versions):
    response = client.get(reverse("wards:register-versions"))
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_absurdly_large_version_number_is_404_not_an_error(api_as, client, nina, versions):
    huge = "9" * 30
    assert api_as(nina).get(f"/api/v1/register/versions/{huge}/export.csv").status_code == 404
    assert api_as(nina).get(f"/api/v1/register/versions/{huge}/").status_code == 404
    client.force_login(nina)
    assert client.get(f"/wards/register/v{huge}.csv").status_code == 404


def test_register_versions_page_query_count_is_pinned(
    client, carl, versions, django_assert_max_num_queries
):
    client.force_login(carl)
    with django_assert_max_num_queries(9):  # + the version numbers for the compare form
        assert client.get(reverse("wards:register-versions")).status_code == 200


def test_register_versions_page_before_any_import_says_so(client, carl):
    client.force_login(carl)
    response = client.get(reverse("wards:register-versions"))
    assert "No register has been published yet" in response.content.decode()


def test_changes_compares_with_the_version_before_by_default(api_as, nina, versions):
    body = api_as(nina).get("/api/v1/register/versions/2/changes/").json()
    assert (body["number"], body["since"]) == (2, 1)
    assert [(r["branch_ref"], r["ward_code"]) for r in body["added"]] == [("A1", "E05012002")]
    assert [(r["branch_ref"], r["ward_code"]) for r in body["removed"]] == [("B1", "E05012001")]
    assert body["added"][0]["provider_name"] == "Amber Homecare Ltd"


def test_changes_since_the_empty_register_lists_every_pair_as_added(api_as, nina, versions):
    body = api_as(nina).get("/api/v1/register/versions/2/changes/?since=0").json()
    assert len(body["added"]) == 2 and body["removed"] == []


def test_changes_can_compare_backwards(api_as, nina, versions):
    body = api_as(nina).get("/api/v1/register/versions/1/changes/?since=2").json()
    assert [r["branch_ref"] for r in body["added"]] == ["B1"]
    assert [r["ward_code"] for r in body["removed"]] == ["E05012002"]


@pytest.mark.parametrize("since", ["7", "x", "-1"])
def test_changes_since_an_unknown_version_is_400_naming_the_parameter(
    api_as, nina, versions, since
):
    response = api_as(nina).get(f"/api/v1/register/versions/2/changes/?since={since}")
    assert response.status_code == 400
    assert "since" in response.json()


def test_changes_of_unknown_version_is_404(api_as, nina, versions):
    assert api_as(nina).get("/api/v1/register/versions/5/changes/").status_code == 404


def test_council_user_sees_changes_page(client, carl, versions):
    client.force_login(carl)
    response = client.get(reverse("wards:register-version-changes", args=[2]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Added (1)" in page and "Removed (1)" in page
    assert "E05012002" in page


def test_changes_page_with_bad_since_shows_an_error_not_a_crash(client, carl, versions):
    client.force_login(carl)
    url = reverse("wards:register-version-changes", args=[2])
    response = client.get(url, {"since": "99"})
    assert response.status_code == 200
    assert "Choose a published register version" in response.content.decode()


def test_provider_user_may_not_open_changes_page(client, bob, versions):
    client.force_login(bob)
    assert client.get(reverse("wards:register-version-changes", args=[2])).status_code == 403


def test_changes_page_for_unknown_version_is_404(client, carl, versions):
    client.force_login(carl)
    assert client.get(reverse("wards:register-version-changes", args=[9])).status_code == 404
