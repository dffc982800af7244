"""The persona walk (issue 8.2): every named URL of the site, as every persona, gets the status it
should, and never a 500.

The world: provider A (branches a1 and a2) and provider B (branch b1) cover one ward; every object a
URL names belongs to provider A (its offer, notifications, ward request, KPI return, triggers, risk
profile). So Alice (branch a1) and Olivia (A's head office) may reach them, and Bob (provider B)
must get 404 for each (A1), never 403 and never the object. Council-only pages answer a provider 403
before any lookup (A2). A page needing sign-in sends the anonymous to it (302); the API answers 401.

`EXPECTED` holds one row per URL name. A URL added to the site without a row fails
`test_every_named_url_has_an_expectation`, so the next view that raises or leaks is found here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from brokerage.models import Offer, Package
from brokerage.services import (
    batch_send,
    batches_create,
    offer_respond,
    package_award,
    package_send_now,
)
from kpi.models import KpiReturnUpload, KpiTrigger, RiskProfile
from kpi.quarters import Quarter
from kpi.services import challenge_make, kpi_return_submit
from providers.models import Role
from reviews.models import Review
from reviews.services import review_delegate
from tests.factories import (
    BranchFactory,
    PackageFactory,
    ProviderFactory,
    UserFactory,
    WardFactory,
)
from wards.models import WardRequest
from wards.services import register_change, ward_request_create

# Provider A's name and its branch's both carry this; provider B's user must never read it (A1).
PROVIDER_A_MARK = "Amber"
PERSONAS = ("anon", "branch", "org", "other", "nav", "cm", "rev", "admin")


def row(anon, branch, org, other, nav, cm, rev, admin_) -> dict[str, int]:
    return dict(zip(PERSONAS, (anon, branch, org, other, nav, cm, rev, admin_), strict=True))


# Shorthands for the common rows: signed-in pages (302 for the anonymous) and API (401).
def page(branch, org, other, nav, cm, rev, admin_, anon=302) -> dict[str, int]:
    return row(anon, branch, org, other, nav, cm, rev, admin_)


def api(branch, org, other, nav, cm, rev, admin_, anon=401) -> dict[str, int]:
    return row(anon, branch, org, other, nav, cm, rev, admin_)


EVERYONE = page(200, 200, 200, 200, 200, 200, 200)
PROVIDERS_ONLY = page(200, 200, 200, 403, 403, 403, 403)
COUNCIL_ONLY = page(403, 403, 403, 200, 200, 200, 200)
PROVIDER_A_OBJECT = page(200, 200, 404, 200, 200, 200, 200)
ALLOWED_POST = {200, 201, 302, 400, 409}
NAVIGATOR_ONLY = page(403, 403, 403, 200, 403, 403, 200)
CONTRACTS_ONLY = page(403, 403, 403, 403, 200, 403, 200)
CONTRACTS_POST_ONLY = page(403, 403, 403, 403, 405, 403, 405)
API_POST_ONLY = api(405, 405, 405, 405, 405, 405, 405)
COUNCIL_READ = api(403, 403, 403, 200, 200, 200, 200)
REVIEWERS_ONLY = page(403, 403, 403, 403, 403, 200, 200)


@dataclass(frozen=True)
class Walk:
    """How to reach one URL name: its kwargs from the world, and what each persona gets."""

    kwargs: object  # a callable world -> dict, or None
    expect: dict[str, int]
    query: str = ""
    post: dict[str, int] | None = None  # for actions: an empty POST as each persona
    post_format: str = "json"


def _kw(**builders):
    return lambda world: {key: build(world) for key, build in builders.items()}


EXPECTED: dict[str, Walk] = {
    "home": Walk(None, page(200, 200, 200, 200, 200, 200, 200)),
    "login": Walk(None, row(200, 200, 200, 200, 200, 200, 200, 200)),
    "logout": Walk(
        None,
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=row(302, 302, 302, 302, 302, 302, 302, 302),
    ),
    "healthz": Walk(None, row(200, 200, 200, 200, 200, 200, 200, 200)),
    "settings": Walk(
        None,
        page(403, 403, 403, 403, 403, 403, 200),
        post=page(403, 403, 403, 403, 403, 403, 200),
    ),
    # providers
    "providers:list": Walk(None, page(302, 302, 302, 200, 200, 200, 200)),
    "providers:detail": Walk(_kw(ref=lambda w: w.provider_a.ref), PROVIDER_A_OBJECT),
    "providers:branch": Walk(_kw(pk=lambda w: w.branch_a1.pk), PROVIDER_A_OBJECT),
    # wards and the register
    "wards:list": Walk(None, EVERYONE),
    "wards:list-csv": Walk(None, EVERYONE),
    "wards:mine": Walk(None, PROVIDERS_ONLY),
    "wards:requests": Walk(None, EVERYONE),
    "wards:request-create": Walk(
        None, PROVIDERS_ONLY, post=page(200, 200, 200, 403, 403, 403, 403)
    ),
    "wards:request": Walk(_kw(pk=lambda w: w.ward_request.pk), PROVIDER_A_OBJECT),
    "wards:request-withdraw": Walk(
        _kw(pk=lambda w: w.ward_request.pk),
        page(405, 405, 405, 405, 405, 405, 405),
        post=page(302, 302, 404, 403, 403, 403, 403),
    ),
    "wards:register-versions": Walk(None, COUNCIL_ONLY),
    "wards:register-compare": Walk(
        None, page(403, 403, 403, 302, 302, 302, 302), query="?version=2&since=1"
    ),
    "wards:import": Walk(None, CONTRACTS_ONLY, post=page(403, 403, 403, 403, 200, 403, 200)),
    "wards:register-version-csv": Walk(_kw(number=lambda w: 1), EVERYONE),
    "wards:register-version-changes": Walk(_kw(number=lambda w: 2), COUNCIL_ONLY),
    "wards:register-version-changes-csv": Walk(_kw(number=lambda w: 2), COUNCIL_ONLY),
    "ward_health:health": Walk(None, COUNCIL_ONLY),
    "ward_health:cleanse-csv": Walk(None, COUNCIL_ONLY),
    "ward_health:ward": Walk(_kw(code=lambda w: w.ward.code), COUNCIL_ONLY),
    # brokerage: the navigators' packages
    "brokerage:packages": Walk(None, COUNCIL_ONLY),
    "brokerage:package-create": Walk(
        None, NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    "brokerage:package": Walk(_kw(pk=lambda w: w.offered.pk), COUNCIL_ONLY),
    "brokerage:package-edit": Walk(
        _kw(pk=lambda w: w.draft.pk), NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    "brokerage:package-queue": Walk(
        _kw(pk=lambda w: w.draft.pk),
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=page(403, 403, 403, 302, 403, 403, 200),
    ),
    "brokerage:package-send-now": Walk(
        _kw(pk=lambda w: w.draft.pk),
        NAVIGATOR_ONLY,
        post=page(403, 403, 403, 302, 403, 403, 200),
    ),
    "brokerage:package-withdraw": Walk(
        _kw(pk=lambda w: w.offered.pk), NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    "brokerage:package-widen": Walk(
        _kw(pk=lambda w: w.offered.pk), NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    "brokerage:hard-to-place": Walk(None, COUNCIL_ONLY),
    "brokerage:batches": Walk(None, EVERYONE),
    "brokerage:batch-create": Walk(
        None, NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    "brokerage:batch": Walk(_kw(pk=lambda w: w.batch.pk), PROVIDER_A_OBJECT),
    "brokerage:batch-send": Walk(
        _kw(pk=lambda w: w.batch.pk),
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=page(403, 403, 403, 302, 403, 403, 302),
    ),
    "allocation:package-award": Walk(
        _kw(pk=lambda w: w.offered.pk), NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    "brokerage:package-cancel": Walk(
        _kw(pk=lambda w: w.awarded.pk), NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    # P2: ending an awarded package; L3: the claims list (council all, a provider its own).
    "brokerage:package-end": Walk(
        _kw(pk=lambda w: w.awarded.pk), NAVIGATOR_ONLY, post=page(403, 403, 403, 200, 403, 403, 200)
    ),
    "brokerage:claims": Walk(None, EVERYONE),
    "brokerage:claims-csv": Walk(None, EVERYONE),
    # brokerage: the providers' offers
    "brokerage:inbox": Walk(None, EVERYONE),
    "brokerage:history": Walk(None, EVERYONE),
    "brokerage:history-csv": Walk(None, EVERYONE),
    "brokerage:offer": Walk(
        _kw(pk=lambda w: w.offer_a1.pk),
        PROVIDER_A_OBJECT,
        post=page(200, 200, 404, 403, 403, 403, 403),
    ),
    "brokerage:notifications": Walk(_kw(pk=lambda w: w.branch_a1.pk), PROVIDER_A_OBJECT),
    "notifications:provider": Walk(_kw(ref=lambda w: w.provider_a.ref), PROVIDER_A_OBJECT),
    # P12: a branch's capacity (its users and its organisation's), the council's overview.
    "brokerage:branch-capacity": Walk(
        _kw(pk=lambda w: w.branch_a1.pk),
        page(200, 200, 404, 403, 403, 403, 403),
        post=page(200, 200, 404, 403, 403, 403, 403),
    ),
    "brokerage:capacity": Walk(None, page(403, 403, 403, 200, 200, 403, 200)),
    # R1-R3: trusted reviews. The world's review is provider A's (its awarded package, branch a1).
    "reviews:list": Walk(None, EVERYONE),
    "reviews:csv": Walk(None, EVERYONE),
    "reviews:due": Walk(None, REVIEWERS_ONLY),
    "reviews:delegate": Walk(None, REVIEWERS_ONLY, post=REVIEWERS_ONLY),
    "reviews:delegate-due": Walk(
        None,
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=page(403, 403, 403, 403, 403, 302, 302),
    ),
    "reviews:returned": Walk(None, COUNCIL_ONLY),
    "reviews:review": Walk(_kw(pk=lambda w: w.review.pk), PROVIDER_A_OBJECT),
    "reviews:complete": Walk(
        _kw(pk=lambda w: w.review.pk),
        page(200, 200, 404, 403, 403, 403, 403),
        post=page(200, 200, 404, 403, 403, 403, 403),
    ),
    "reviews:sign-off": Walk(
        _kw(pk=lambda w: w.review.pk),
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=page(403, 403, 403, 403, 403, 200, 200),
    ),
    # KPIs
    "kpi:my": Walk(None, PROVIDERS_ONLY),
    "kpi:my-offers": Walk(None, PROVIDERS_ONLY),
    "kpi:dashboard": Walk(None, CONTRACTS_ONLY),
    "kpi:dashboard-csv": Walk(_kw(figure=lambda w: "bands"), CONTRACTS_ONLY),
    "kpi:rates-csv": Walk(None, EVERYONE),
    "kpi:market-gaps-csv": Walk(None, CONTRACTS_ONLY, query="?quarter=2026-27-Q1&by=ward"),
    "kpi:returns": Walk(None, EVERYONE),
    "kpi:return-upload": Walk(
        None, page(200, 200, 200, 403, 200, 403, 200), post=page(200, 200, 200, 403, 200, 403, 200)
    ),
    "kpi:return": Walk(_kw(pk=lambda w: w.kpi_return.pk), PROVIDER_A_OBJECT),
    "kpi:return-upload-status": Walk(_kw(pk=lambda w: w.kpi_upload.pk), PROVIDER_A_OBJECT),
    "kpi:triggers": Walk(None, EVERYONE),
    "kpi:trigger-reset": Walk(
        _kw(ref=lambda w: w.provider_a.ref),
        CONTRACTS_ONLY,
        post=page(403, 403, 403, 403, 200, 403, 200),
    ),
    "kpi:risk": Walk(None, CONTRACTS_ONLY),
    # The risk and settings pages answer GET only; their forms post to the views below.
    "kpi:risk-detail": Walk(
        _kw(ref=lambda w: w.provider_a.ref),
        CONTRACTS_ONLY,
        post=page(403, 403, 403, 403, 405, 403, 405),
    ),
    "kpi:settings": Walk(None, CONTRACTS_ONLY, post=page(403, 403, 403, 403, 405, 403, 405)),
    # One view per form on the risk and settings pages: POST only (405 to a GET, after the role).
    "kpi:risk-profile": Walk(
        _kw(ref=lambda w: w.provider_a.ref),
        CONTRACTS_POST_ONLY,
        post=page(403, 403, 403, 403, 200, 403, 200),
    ),
    "kpi:risk-plan": Walk(
        _kw(ref=lambda w: w.provider_a.ref),
        CONTRACTS_POST_ONLY,
        post=page(403, 403, 403, 403, 200, 403, 200),
    ),
    "kpi:risk-plan-status": Walk(  # no plan posted: 404
        _kw(ref=lambda w: w.provider_a.ref),
        CONTRACTS_POST_ONLY,
        post=page(403, 403, 403, 403, 404, 403, 404),
    ),
    "kpi:discount-add": Walk(
        None, CONTRACTS_POST_ONLY, post=page(403, 403, 403, 403, 200, 403, 200)
    ),
    "kpi:discount-remove": Walk(  # no quarter posted: 404
        None, CONTRACTS_POST_ONLY, post=page(403, 403, 403, 403, 404, 403, 404)
    ),
    "kpi:first-due": Walk(None, CONTRACTS_POST_ONLY, post=page(403, 403, 403, 403, 200, 403, 200)),
    # K10: the provider's challenge form (offer_a1 was answered: the page says so, a POST is
    # refused on the page), the challenges page (each sees its own, A1) and the decision (POST).
    "kpi:challenge-new": Walk(
        _kw(offer=lambda w: w.offer_a1.pk),
        page(200, 200, 404, 403, 403, 403, 403),
        post=page(200, 200, 404, 403, 403, 403, 403),
    ),
    "kpi:challenges": Walk(None, EVERYONE),
    "kpi:challenge-decide": Walk(  # nothing chosen: the queue again with the error
        _kw(pk=lambda w: w.challenge.pk),
        CONTRACTS_POST_ONLY,
        post=page(403, 403, 403, 403, 200, 403, 200),
    ),
    # The API (/api/v1/), token-authenticated as provider systems are.
    "api-token": Walk(
        None,
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=row(400, 400, 400, 400, 400, 400, 400, 400),
    ),
    "ward-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "ward-detail": Walk(_kw(code=lambda w: w.ward.code), api(200, 200, 200, 200, 200, 200, 200)),
    "register-version-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "register-version-detail": Walk(
        _kw(number=lambda w: 1), api(200, 200, 200, 200, 200, 200, 200)
    ),
    "register-version-changes": Walk(
        _kw(number=lambda w: 2), api(200, 200, 200, 200, 200, 200, 200)
    ),
    "register-version-export-csv": Walk(
        _kw(number=lambda w: 1), api(200, 200, 200, 200, 200, 200, 200)
    ),
    "ward-request-list": Walk(
        None, api(200, 200, 200, 200, 200, 200, 200), post=api(400, 400, 400, 403, 403, 403, 403)
    ),
    "ward-request-detail": Walk(
        _kw(pk=lambda w: w.ward_request.pk), api(200, 200, 404, 200, 200, 200, 200)
    ),
    "ward-request-approve": Walk(
        _kw(pk=lambda w: w.ward_request.pk),
        API_POST_ONLY,
        post=api(403, 403, 404, 403, 200, 403, 409),
    ),
    "ward-request-reject": Walk(
        _kw(pk=lambda w: w.ward_request.pk),
        API_POST_ONLY,
        post=api(403, 403, 404, 403, 400, 403, 400),
    ),
    "ward-request-withdraw": Walk(
        _kw(pk=lambda w: w.ward_request.pk),
        API_POST_ONLY,
        post=api(200, 409, 404, 403, 403, 403, 403),
    ),
    "ward-request-bulk-approve": Walk(
        None,
        API_POST_ONLY,
        post=api(403, 403, 403, 403, 400, 403, 400),
    ),
    "ward-request-bulk-reject": Walk(
        None,
        API_POST_ONLY,
        post=api(403, 403, 403, 403, 400, 403, 400),
    ),
    "provider-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "provider-detail": Walk(
        _kw(ref=lambda w: w.provider_a.ref), api(200, 200, 404, 200, 200, 200, 200)
    ),
    "branch-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "branch-detail": Walk(_kw(pk=lambda w: w.branch_a1.pk), api(200, 200, 404, 200, 200, 200, 200)),
    "package-list": Walk(None, COUNCIL_READ, post=api(403, 403, 403, 400, 403, 403, 400)),
    "package-detail": Walk(_kw(pk=lambda w: w.offered.pk), COUNCIL_READ),
    "package-shortlist": Walk(_kw(pk=lambda w: w.offered.pk), COUNCIL_READ),
    "settings-api": Walk(None, api(403, 403, 403, 403, 403, 403, 200)),
    "batch-list": Walk(
        None,
        api(200, 200, 200, 200, 200, 200, 200),
        post=api(403, 403, 403, 400, 403, 403, 400),
    ),
    "batch-detail": Walk(_kw(pk=lambda w: w.batch.pk), api(200, 200, 404, 200, 200, 200, 200)),
    "batch-send": Walk(
        _kw(pk=lambda w: w.batch.pk),
        api(405, 405, 405, 405, 405, 405, 405),
        post=api(403, 403, 403, 409, 403, 403, 409),
    ),
    "package-widen": Walk(
        _kw(pk=lambda w: w.offered.pk),
        api(405, 405, 405, 405, 405, 405, 405),
        post=api(403, 403, 403, 400, 403, 403, 400),
    ),
    "package-award": Walk(
        _kw(pk=lambda w: w.offered.pk),
        api(403, 403, 403, 405, 405, 405, 405),
        post=api(403, 403, 403, 400, 403, 403, 400),
    ),
    "package-cancel": Walk(
        _kw(pk=lambda w: w.awarded.pk),
        api(403, 403, 403, 405, 405, 405, 405),
        post=api(403, 403, 403, 400, 403, 403, 400),
    ),
    "package-end": Walk(
        _kw(pk=lambda w: w.awarded.pk),
        api(403, 403, 403, 405, 405, 405, 405),
        post=api(403, 403, 403, 400, 403, 403, 400),
    ),
    "package-hours": Walk(_kw(pk=lambda w: w.awarded.pk), COUNCIL_READ),
    "claim-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "claim-export": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "package-queue": Walk(
        _kw(pk=lambda w: w.draft.pk),
        api(403, 403, 403, 405, 405, 405, 405),
        post=api(403, 403, 403, 200, 403, 403, 409),
    ),
    "package-send-now": Walk(
        _kw(pk=lambda w: w.draft.pk),
        api(403, 403, 403, 405, 405, 405, 405),
        post=api(403, 403, 403, 200, 403, 403, 409),
    ),
    "package-withdraw": Walk(
        _kw(pk=lambda w: w.offered.pk),
        api(403, 403, 403, 405, 405, 405, 405),
        post=api(403, 403, 403, 400, 403, 403, 400),
    ),
    "offer-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "offer-detail": Walk(_kw(pk=lambda w: w.offer_a1.pk), api(200, 200, 404, 200, 200, 200, 200)),
    "offer-respond": Walk(
        _kw(pk=lambda w: w.offer_a1.pk),
        API_POST_ONLY,
        post=api(400, 400, 404, 403, 403, 403, 403),
    ),
    "offer-export": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "branch-capacity": Walk(  # PUT only (tests/brokerage/test_capacity.py walks the PUT)
        _kw(pk=lambda w: w.branch_a1.pk), API_POST_ONLY, post=API_POST_ONLY
    ),
    "capacity-list": Walk(None, COUNCIL_READ),
    "notification-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "kpi-decline-reasons": Walk(None, COUNCIL_READ, query="?quarter=2026-27-Q1&by=ward"),
    "kpi-response-rates": Walk(
        None, api(200, 200, 200, 200, 200, 200, 200), query="?quarter=2025-26-Q4"
    ),
    "kpi-return-list": Walk(
        None,
        api(200, 200, 200, 200, 200, 200, 200),
        post=api(400, 400, 400, 403, 400, 403, 400),
        post_format="multipart",
    ),
    "kpi-return-detail": Walk(
        _kw(pk=lambda w: w.kpi_return.pk), api(200, 200, 404, 200, 200, 200, 200)
    ),
    "kpi-return-upload-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "kpi-return-upload-detail": Walk(
        _kw(pk=lambda w: w.kpi_upload.pk), api(200, 200, 404, 200, 200, 200, 200)
    ),
    "kpi-trigger-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    # K10: offer_a1 was answered, so its provider's empty challenge is a 409 (the state first).
    "offer-challenge": Walk(
        _kw(pk=lambda w: w.offer_a1.pk),
        API_POST_ONLY,
        post=api(409, 409, 404, 403, 403, 403, 403),
    ),
    "challenge-list": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "challenge-detail": Walk(
        _kw(pk=lambda w: w.challenge.pk), api(200, 200, 404, 200, 200, 200, 200)
    ),
    "challenge-uphold": Walk(  # no comment: 400, and nothing decided
        _kw(pk=lambda w: w.challenge.pk),
        API_POST_ONLY,
        post=api(403, 403, 403, 403, 400, 403, 400),
    ),
    "challenge-reject": Walk(
        _kw(pk=lambda w: w.challenge.pk),
        API_POST_ONLY,
        post=api(403, 403, 403, 403, 400, 403, 400),
    ),
    "kpi-trigger-detail": Walk(
        _kw(pk=lambda w: w.trigger.pk), api(200, 200, 404, 200, 200, 200, 200)
    ),
    "review-list": Walk(
        None, api(200, 200, 200, 200, 200, 200, 200), post=api(403, 403, 403, 403, 403, 400, 400)
    ),
    "review-detail": Walk(_kw(pk=lambda w: w.review.pk), api(200, 200, 404, 200, 200, 200, 200)),
    "review-delegate-due": Walk(None, API_POST_ONLY, post=api(403, 403, 403, 403, 403, 400, 400)),
    "review-submit": Walk(
        _kw(pk=lambda w: w.review.pk),
        API_POST_ONLY,
        post=api(400, 400, 404, 403, 403, 403, 403),
    ),
    "review-sign-off": Walk(
        _kw(pk=lambda w: w.review.pk),
        API_POST_ONLY,
        post=api(403, 403, 404, 403, 403, 409, 409),
    ),
    "review-summary": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "review-export": Walk(None, api(200, 200, 200, 200, 200, 200, 200)),
    "schema": Walk(None, api(200, 200, 200, 200, 200, 200, 200, anon=200)),
    "api-docs": Walk(None, api(200, 200, 200, 200, 200, 200, 200, anon=200)),
    # accounts (issue 14.6): each person's own account, second factors and tokens
    "accounts:account": Walk(None, EVERYONE),
    # Nobody here has a second factor, so the verify page sends each on (to home).
    "accounts:verify": Walk(None, page(302, 302, 302, 302, 302, 302, 302)),
    "accounts:set-up": Walk(None, EVERYONE),
    "accounts:totp": Walk(None, EVERYONE),
    "accounts:passkey": Walk(None, EVERYONE),
    "accounts:device-remove": Walk(
        _kw(kind=lambda w: "totp", pk=lambda w: 999999),
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=page(404, 404, 404, 404, 404, 404, 404),
        post_format="multipart",
    ),
    "accounts:tokens": Walk(None, EVERYONE),
    "accounts:token-revoke": Walk(
        _kw(pk=lambda w: 999999),
        row(405, 405, 405, 405, 405, 405, 405, 405),
        post=page(404, 404, 404, 404, 404, 404, 404),
        post_format="multipart",
    ),
    "accounts:password": Walk(None, EVERYONE),
    "password-reset": Walk(None, row(200, 200, 200, 200, 200, 200, 200, 200)),
    "password-reset-done": Walk(None, row(200, 200, 200, 200, 200, 200, 200, 200)),
    "password-reset-confirm": Walk(
        _kw(uidb64=lambda w: "MQ", token=lambda w: "not-a-token"),
        row(200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "password-reset-complete": Walk(None, row(200, 200, 200, 200, 200, 200, 200, 200)),
    # django-otp-webauthn's ceremony endpoints answer POST only; its script catalogue is public.
    "otp_webauthn:credential-registration-begin": Walk(None, row(403, *[405] * 7)),
    "otp_webauthn:credential-registration-complete": Walk(None, row(403, *[405] * 7)),
    "otp_webauthn:credential-authentication-begin": Walk(None, row(403, *[405] * 7)),
    "otp_webauthn:credential-authentication-complete": Walk(None, row(403, *[405] * 7)),
    "otp_webauthn:js-i18n-catalog": Walk(None, row(*[200] * 8)),
}

API_NAMES = {name for name, walk in EXPECTED.items() if ":" not in name} - {
    "home",
    "login",
    "logout",
    "healthz",
    "settings",
    "schema",
    "api-docs",
    "password-reset",
    "password-reset-done",
    "password-reset-confirm",
    "password-reset-complete",
}


def _named_patterns(resolver=None, namespace: str | None = None):
    """Every (qualified name, pattern) of the site outside the admin, which is walked separately."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = pattern.namespace
            qualified = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _named_patterns(pattern, qualified)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def test_every_named_url_has_an_expectation():
    """A new URL fails here until it is given a row in EXPECTED (and so is walked)."""
    names = {name for name, _ in _named_patterns()}
    # DRF's format-suffix twins (`.json`) share their view's name.
    missing = sorted(names - set(EXPECTED))
    assert not missing, f"URLs with no persona-walk expectation: {missing}"
    stale = sorted(set(EXPECTED) - names)
    assert not stale, f"expectations for URLs that no longer exist: {stale}"


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    provider_a: object
    branch_a1: object
    ward: object
    draft: Package
    offered: Package
    awarded: Package
    offer_a1: Offer
    batch: object
    ward_request: WardRequest
    kpi_return: object
    trigger: KpiTrigger
    challenge: object
    review: Review
    users: dict
    kpi_upload: object = None


VISITS = (
    "visit_ref,service_user_ref,planned_start,planned_minutes,actual_start,actual_end\n"
    "V1,SU1,2025-05-01T09:00,30,2025-05-01T09:05,2025-05-01T09:35\n"
)


def _offered_package(nina, ward, reference: str) -> Package:
    package = PackageFactory(reference=reference, ward=ward, status="draft")
    package_send_now(actor=nina, package=package)
    package.refresh_from_db()
    return package


@pytest.fixture
def world(db) -> World:
    provider_a = ProviderFactory(ref="PA", name="Amber Homecare Ltd", joined_on=date(2024, 1, 5))
    provider_b = ProviderFactory(ref="PB", name="Birch Care Services")
    a1 = BranchFactory(provider=provider_a, ref="A1", name="Amberley Preston")
    a2 = BranchFactory(provider=provider_a, ref="A2", name="Chorley")
    b1 = BranchFactory(provider=provider_b, ref="B1", name="Lancaster")
    ward = WardFactory(code="E05012001", name="Fishwick", district="Preston")
    other_ward = WardFactory(code="E05012002", name="Ribbleton", district="Preston")
    register_change(add=[(a1, ward), (b1, ward)], note="First register")
    register_change(add=[(a2, other_ward)], note="Chorley takes Ribbleton")
    users = {
        "anon": None,
        "branch": UserFactory(
            username="alice", role=Role.PROVIDER_BRANCH, provider=provider_a, branch=a1
        ),
        "org": UserFactory(username="olivia", role=Role.PROVIDER_ORG, provider=provider_a),
        "other": UserFactory(
            username="bob", role=Role.PROVIDER_BRANCH, provider=provider_b, branch=b1
        ),
        "nav": UserFactory(username="nina", role=Role.NAVIGATOR),
        "cm": UserFactory(username="carl", role=Role.CONTRACT_MANAGER),
        "rev": UserFactory(username="rita", role=Role.REVIEWER),
        "admin": UserFactory(username="adam", role=Role.ADMIN, is_staff=True, is_superuser=True),
    }
    nina, alice = users["nav"], users["branch"]
    offered = _offered_package(nina, ward, "PKG-OFFERED")
    offer_a1 = offered.offers.get(branch=a1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    offer_respond(actor=alice, offer=offer_a1, response="offer_made", start_date=tomorrow)
    awarded = _offered_package(nina, ward, "PKG-AWARDED")
    won = awarded.offers.get(branch=a1)
    offer_respond(actor=alice, offer=won, response="offer_made", start_date=tomorrow)
    package_award(actor=nina, package=awarded, offer=won)
    # L4: a package held by provider B moves, in a batch sent to A's branch (never back to B).
    moving = _offered_package(nina, ward, "PKG-MOVING")
    held = moving.offers.get(branch=b1)
    offer_respond(actor=users["other"], offer=held, response="offer_made", start_date=tomorrow)
    package_award(actor=nina, package=moving, offer=held)
    (batch,) = batches_create(actor=nina, package_ids=[moving.pk], reason="B hands it back")
    batch_send(actor=nina, batch=batch)
    (ward_request,) = ward_request_create(
        actor=alice, branch=a1, wards=[other_ward], action="add", reason="New carers there"
    )
    kpi_return = kpi_return_submit(
        actor=users["org"],
        provider=provider_a,
        quarter=Quarter.parse("2025-26-Q1"),
        file=io.BytesIO(VISITS.encode()),
        file_name="visits.csv",
    )
    now = timezone.now()
    trigger = KpiTrigger.objects.create(
        provider=provider_a, quarter="2025-26-Q2", level=1, missing=True, created_at=now, as_of=now
    )
    RiskProfile.objects.create(provider=provider_a, level="medium", summary="Slow to answer")
    kpi_upload = KpiReturnUpload.objects.create(
        provider=provider_a,
        quarter="2025-26-Q2",
        submitted_at=now,
        submitted_by=users["org"],
        file_name="visits-q2.csv",
        size=300_000,
        content=b"",
        state="refused",
        errors=[{"row": 2, "column": "planned_start", "message": "the planned start is missing"}],
        error_count=1,
        bad_rows=1,
    )
    missed = _offered_package(nina, ward, "PKG-MISSED").offers.get(branch=a1)
    missed.placement_response, missed.closed_at = "no_response", now  # saved: counts move
    missed.save(update_fields=["placement_response", "closed_at"])
    challenge = challenge_make(actor=alice, offer=missed, reason="The e-mail never arrived")
    return World(
        provider_a=provider_a,
        branch_a1=a1,
        ward=ward,
        draft=PackageFactory(reference="PKG-DRAFT", ward=ward, status="draft"),
        offered=offered,
        awarded=awarded,
        offer_a1=offer_a1,
        batch=batch,
        ward_request=ward_request,
        kpi_return=kpi_return,
        trigger=trigger,
        challenge=challenge,
        review=review_delegate(actor=users["rev"], package=awarded),
        users=users,
        kpi_upload=kpi_upload,
    )


def _client_for(persona: str, world: World, *, api_client: bool):
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.tokens import token_issue

    user = world.users[persona]
    if api_client:
        client = APIClient()
        if user is not None:
            keys = world.__dict__.setdefault("api_keys", {})
            if persona not in keys:
                keys[persona] = token_issue(user=user, name="persona walk")[1]
            client.credentials(HTTP_AUTHORIZATION=f"Token {keys[persona]}")
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _url(name: str, walk: Walk, world: World) -> str:
    kwargs = walk.kwargs(world) if walk.kwargs else {}
    return reverse(name, kwargs=kwargs) + walk.query


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_persona_gets_the_status_it_should(name, world):
    """A1 (404 for another provider's objects), roles (403), sign-in (302/401), never a 500."""
    walk = EXPECTED[name]
    url = _url(name, walk, world)
    got = {}
    for persona in PERSONAS:
        client = _client_for(persona, world, api_client=name in API_NAMES)
        response = client.get(url)
        got[persona] = response.status_code
        if persona == "other" and response.status_code == 200:
            assert PROVIDER_A_MARK not in _body(response), (
                f"{url} shows provider B's user provider A's records"
            )
    assert 500 not in got.values(), f"{url} raised: {got}"
    wrong = {
        p: f"got {got[p]}, expected {walk.expect[p]}" for p in PERSONAS if got[p] != walk.expect[p]
    }
    assert not wrong, f"{url}: {wrong}"


POST_NAMES = sorted(name for name, walk in EXPECTED.items() if walk.post is not None)


@pytest.mark.parametrize("name", POST_NAMES)
def test_each_persona_posting_an_action_gets_the_status_it_should(name, world):
    """Actions answer a GET with 405, so their permission checks are walked with an empty POST:
    first as everyone who may not (nothing changes), then as those who may (a clear 400 or a
    redirect back to the form, never a 500)."""
    walk = EXPECTED[name]
    url = _url(name, walk, world)
    may = [p for p in PERSONAS if walk.post[p] in ALLOWED_POST]
    got = {}
    for persona in [p for p in PERSONAS if p not in may] + may:
        client = _client_for(persona, world, api_client=name in API_NAMES)
        options = {"format": walk.post_format} if name in API_NAMES else {}
        got[persona] = client.post(url, {}, **options).status_code
    assert 500 not in got.values(), f"{url} raised: {got}"
    wrong = {
        p: f"got {got[p]}, expected {walk.post[p]}" for p in PERSONAS if got[p] != walk.post[p]
    }
    assert not wrong, f"POST {url}: {wrong}"


# --- the admin ---------------------------------------------------------------------------------


def _admin_urls(world: World) -> list[str]:
    """The admin's index, each registered model's list and add pages, and the change and history
    pages of its first row."""
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(_FakeRequest(world.users["admin"])):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
    return urls


@dataclass
class _FakeRequest:
    user: object


def test_the_admin_opens_for_the_administrator_and_no_one_else(world):
    """Every admin page of every registered model: 200 for the administrator, a redirect to the
    admin's sign-in for everyone else (no role but the administrator is staff), never a 500."""
    problems = []
    for url in _admin_urls(world):
        for persona in PERSONAS:
            status = _client_for(persona, world, api_client=False).get(url).status_code
            expected = 200 if persona == "admin" else 302
            if status != expected:
                problems.append(f"{persona} {url}: got {status}, expected {expected}")
    assert not problems, "\n".join(problems)
