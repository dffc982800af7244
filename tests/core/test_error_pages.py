"""The portal's own error pages, in the GOV.UK style."""

import json

from django.test import RequestFactory
from django.views.defaults import server_error

from core.views import server_error as server_error_view


def test_server_error_page_renders_without_any_context():
    """Django renders 500.html with no request, user or nonce: it must stand alone."""
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "<script" not in html  # no nonce to give an inline script under the CSP


def test_missing_page_is_the_govuk_page_not_found(client, nina):
    client.force_login(nina)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_api_url_no_route_matches_answers_json_not_the_html_page(client, nina):
    """The routers refuse an id with a dot (`[^/.]+`): the answer is still the API's 404 body."""
    client.force_login(nina)
    for url in ("/api/v1/offers/1.5/", "/api/v1/no-such-thing/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json"), url
        assert response.json() == {"detail": "Not found."}


def test_an_api_server_error_answers_json():
    response = server_error_view(RequestFactory().get("/api/v1/offers/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in json.loads(response.content)
    assert "Sorry" in server_error_view(RequestFactory().get("/offers/")).content.decode()
