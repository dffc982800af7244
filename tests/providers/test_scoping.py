"""A1 from the outside: a provider user reaching another provider's things gets 404."""

import pytest
from django.urls import reverse

from tests.factories import CoverageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def covered(branch_a1, branch_a2, branch_b1, ward):
    for branch in (branch_a1, branch_a2, branch_b1):
        CoverageFactory(branch=branch, ward=ward)


def test_provider_user_gets_404_for_another_providers_page(client, alice, provider_b):
    client.force_login(alice)
    assert client.get(reverse("providers:detail", args=[provider_b.ref])).status_code == 404


def test_provider_user_gets_404_for_another_providers_branch(client, olivia, branch_b1, covered):
    client.force_login(olivia)
    assert client.get(reverse("providers:branch", args=[branch_b1.pk])).status_code == 404


def test_branch_user_gets_404_for_sibling_branch(client, alice, branch_a2, covered):
    client.force_login(alice)
    assert client.get(reverse("providers:branch", args=[branch_a2.pk])).status_code == 404


def test_branch_user_sees_own_branch_and_its_coverage(client, alice, branch_a1, ward, covered):
    client.force_login(alice)
    response = client.get(reverse("providers:branch", args=[branch_a1.pk]))
    assert response.status_code == 200
    assert ward.code in response.content.decode()


def test_organisation_user_sees_every_branch_of_its_own(
    client, olivia, branch_a1, branch_a2, covered
):
    client.force_login(olivia)
    for branch in (branch_a1, branch_a2):
        assert client.get(reverse("providers:branch", args=[branch.pk])).status_code == 200


def test_council_user_sees_any_branch(client, nina, branch_b1, covered):
    client.force_login(nina)
    assert client.get(reverse("providers:branch", args=[branch_b1.pk])).status_code == 200


def test_provider_list_sends_provider_user_to_own_page(client, bob, provider_b):
    client.force_login(bob)
    response = client.get(reverse("providers:list"))
    assert response.status_code == 302
    assert response.url == reverse("providers:detail", args=[provider_b.ref])


def test_api_branch_list_holds_only_own_branches(
    api_as, olivia, branch_a1, branch_a2, branch_b1, covered
):
    response = api_as(olivia).get("/api/v1/branches/")
    assert response.status_code == 200
    assert sorted(b["ref"] for b in response.json()["results"]) == ["A1", "A2"]


def test_api_other_providers_branch_is_404(api_as, alice, branch_b1, branch_a2):
    client = api_as(alice)
    assert client.get(f"/api/v1/branches/{branch_b1.pk}/").status_code == 404
    assert client.get(f"/api/v1/branches/{branch_a2.pk}/").status_code == 404
    assert client.get("/api/v1/providers/PB/").status_code == 404


def test_coverage_scope_is_one_queryset_method(
    alice, olivia, nina, branch_a1, branch_a2, branch_b1, covered
):
    from wards.models import Coverage

    assert set(Coverage.objects.visible_to(alice).values_list("branch__ref", flat=True)) == {"A1"}
    assert set(Coverage.objects.visible_to(olivia).values_list("branch__ref", flat=True)) == {
        "A1",
        "A2",
    }
    assert Coverage.objects.visible_to(nina).count() == 3
