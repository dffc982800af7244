"""The portal's own error pages, in the GOV.UK style."""

from django.test import RequestFactory
from django.views.defaults import server_error


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
