"""A branch's provider is set when the branch is made: its offers and e-mails carry that provider
(A1 scopes by it; on PostgreSQL a foreign key holds them to it, issue 13), so the admin shows it
and does not let it change."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_branchs_provider_cannot_be_changed_in_the_admin(client, adam, branch_a1, provider_b):
    client.force_login(adam)
    url = reverse("admin:providers_branch_change", args=[branch_a1.pk])
    page = client.get(url).content.decode()
    assert 'name="provider"' not in page and branch_a1.provider.name in page
    client.post(
        url,
        {
            "provider": provider_b.pk,
            "ref": branch_a1.ref,
            "name": branch_a1.name,
            "notification_email": branch_a1.notification_email,
            "is_active": "on",
        },
    )
    branch_a1.refresh_from_db()
    assert branch_a1.provider.ref == "PA"


def test_a_new_branch_is_given_its_provider_in_the_admin(client, adam, provider_b):
    client.force_login(adam)
    page = client.get(reverse("admin:providers_branch_add")).content.decode()
    assert 'name="provider"' in page
