"""L1 shortlist page and L2 confirmation page; the settings page (administrators)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocation.rates import refresh_rolling_rates
from core.models import AuditEvent, PortalSettings
from tests.allocation.conftest import NOW, WANTED, answer
from tests.factories import BranchFactory, CoverageFactory, ProviderFactory


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_L1_shortlist_page_shows_parts_weights_total_and_how(client, nina, matrix_market, ward):
    refresh_rolling_rates(as_of=NOW - timedelta(hours=3))
    package = matrix_market["package"]
    client.force_login(nina)
    url = f"/packages/{package.pk}/award/"
    body = client.get(url).content.decode()
    assert "weighted mean of four parts" in body
    assert "market median" in body
    for name in ("Response rate", "Quality", "Market share", "Start"):
        assert name in body
    assert "score 0.75 × weight 1" in body
    assert "Outstanding" in body and "20 hours a week held" in body
    # Query count does not grow with the number of offers.
    few = _queries(client, url)
    for n in range(6):
        branch = BranchFactory(provider=ProviderFactory(ref=f"X{n}"), ref=f"X{n}")
        CoverageFactory(branch=branch, ward=ward)
        answer(package, branch, start=WANTED + timedelta(days=n), minutes=40 + n)
    assert _queries(client, url) == few


def test_L2_choosing_an_offer_shows_what_the_award_will_do(client, nina, matrix_market, ward):
    refresh_rolling_rates(as_of=NOW - timedelta(hours=3))
    package, offers = matrix_market["package"], matrix_market["offers"]
    silent = BranchFactory(provider=ProviderFactory(ref="S", name="Silent Care"), name="Quiet")
    CoverageFactory(branch=silent, ward=ward)
    unanswered = offers["P"].__class__.objects.create(
        package=package,
        branch=silent,
        provider=silent.provider,
        sent_at=offers["P"].sent_at,
        deadline=offers["P"].deadline,
    )
    client.force_login(nina)
    url = f"/packages/{package.pk}/award/"
    body = client.post(url, {"offer": offers["Q"].pk}).content.decode()
    assert "Check the award before you make it" in body
    assert "Provider Q, Branch Q branch" in body
    assert "Provider P, Branch P" in body and "Provider R, Branch R" in body  # told Not Awarded
    assert "Silent Care, Quiet" in body  # closes unanswered
    assert 'name="reason"' not in body  # the top-ranked: no reason asked
    not_top = client.post(url, {"offer": offers["R"].pk}).content.decode()
    assert 'name="reason"' in not_top and "not the top-ranked offer" in not_top
    done = client.post(url, {"offer": offers["Q"].pk, "confirm": "yes"}, follow=True)
    assert "awarded to Provider Q" in done.content.decode()
    unanswered.refresh_from_db()
    assert unanswered.placement_response == "no_response"  # its deadline (from NOW) has passed


def test_settings_page_changes_weights_audited(client, adam, nina):
    client.force_login(nina)
    assert client.get("/settings/").status_code == 403
    client.force_login(adam)
    body = client.get("/settings/").content.decode()
    assert "Weight of the response rate" in body
    data = {
        "standard_deadline_hours": 72,
        "urgent_deadline_hours": 24,
        "reminder_hours_standard": 24,
        "reminder_hours_urgent": 4,
        "weight_response_rate": "2",
        "weight_quality": "1",
        "weight_market_share": "0",
        "weight_start": "1",
    }
    assert client.post("/settings/", data).status_code == 302
    rules = PortalSettings.load()
    assert (float(rules.weight_response_rate), float(rules.weight_market_share)) == (2.0, 0.0)
    assert AuditEvent.objects.filter(action="settings.change").count() == 1
    zero = dict(data, weight_response_rate="0", weight_quality="0", weight_start="0")
    refused = client.post("/settings/", zero).content.decode()
    assert "At least one weight must be more than 0" in refused
    assert float(PortalSettings.load().weight_response_rate) == 2.0
