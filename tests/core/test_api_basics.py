"""The API's common ground (API.md): tokens, 401, pagination, filters, the OpenAPI schema and docs."""

import json
import re

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import WardFactory
from wards.models import Ward

pytestmark = pytest.mark.django_db

WARDS = "/api/v1/wards/"


def test_a_token_is_issued_for_the_right_password(api_client, nina):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "nina", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get(WARDS).status_code == 200


def test_a_wrong_password_gets_400_and_no_token(api_client, nina):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "nina", "password": "nope-nope-nope"}, format="json"
    )

    assert response.status_code == 400
    assert "token" not in response.json()


def test_no_token_gets_401(api_client, ward):
    response = api_client.get(WARDS)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_a_bad_token_gets_401(api_client, ward):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert api_client.get(WARDS).status_code == 401


def test_lists_are_paginated_with_count_next_previous_results(api_as, nina):
    WardFactory.create_batch(3)

    body = api_as(nina).get(WARDS, {"page_size": 2}).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["previous"] is None
    assert "page=2" in body["next"]


def test_page_size_500_is_allowed_and_larger_is_capped_at_500(api_as, nina):
    Ward.objects.bulk_create(
        Ward(code=f"E05{n:06d}", name=f"Ward {n}", district="Preston") for n in range(501)
    )
    client = api_as(nina)

    assert len(client.get(WARDS, {"page_size": 500}).json()["results"]) == 500
    capped = client.get(WARDS, {"page_size": 5000}).json()
    assert len(capped["results"]) == 500
    assert capped["count"] == 501


def test_wards_filter_by_district_and_code(api_as, nina):
    WardFactory(code="E05000001", name="Fishwick", district="Preston")
    WardFactory(code="E05000002", name="Chorley East", district="Chorley")
    client = api_as(nina)

    by_district = client.get(WARDS, {"district": "Chorley"}).json()
    by_code = client.get(WARDS, {"code": "E05000001"}).json()

    assert [w["code"] for w in by_district["results"]] == ["E05000002"]
    assert [w["name"] for w in by_code["results"]] == ["Fishwick"]


def test_provider_users_get_a_token_too(api_client, alice):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_the_schema_is_an_openapi_document_covering_v1(client):
    response = client.get(reverse("schema"), {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Homecare brokerage portal API"
    assert "/api/v1/wards/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]


def test_the_api_docs_render_from_the_sidecar_without_a_cdn(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not re.search(r"https?://(cdn|unpkg|cdnjs)", html)


def test_the_api_docs_have_no_inline_script_the_csp_would_block(client):
    response = client.get(reverse("api-docs"))

    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    assert all(f'nonce="{nonce}"' in tag for tag in inline), inline
    assert "<style" not in response.content.decode()
