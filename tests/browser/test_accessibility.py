"""Issue 8.6, I1: the pages axe found wanting stay clean, at desktop width and on a 390 px phone.

Each page is its own test: it signs in as the persona who uses it, and checks that axe (WCAG 2.2
AA and best practice) finds nothing, that the page itself never scrolls sideways (a wide table may
scroll inside its own labelled region), that a Back link sits inside a landmark, and that the title
says "Error:" exactly when an error summary is on the page (WCAG 2.4.2).

The pages: every page with a Back link, the offer page open and closed, the paginated lists
(with a page size of 2, so that pagination shows) and the ward pages that used to overflow a phone.
Screenshots go to screenshots/a11y-<page>-<viewport>.png for a human to look at.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from allocation.services import award
from brokerage.models import CapacityDeclaration, Offer, Package
from brokerage.services import (
    batch_send,
    batches_create,
    offer_respond,
    package_send_now,
)
from kpi.models import KpiReturnUpload, KpiTrigger, RiskProfile
from kpi.quarters import Quarter
from kpi.services import challenge_make, kpi_return_submit
from tests.factories import BranchFactory, PackageFactory, ProviderFactory, WardFactory
from wards.services import register_change, ward_request_create

from .conftest import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    _watched_page,
    assert_accessible,
    assert_page_never_scrolls_sideways,
    screenshot,
    signed_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISITS = (
    "visit_ref,service_user_ref,planned_start,planned_minutes,actual_start,actual_end\n"
    "V1,SU1,2025-05-01T09:00,30,2025-05-01T09:05,2025-05-01T09:35\n"
)

# Lists paginate at 2 rows here, so three rows are enough to show the pagination.
SMALL_PAGES = [
    "brokerage.views.offers.PAGE_SIZE",
    "brokerage.views.packages.PAGE_SIZE",
    "brokerage.ward_health_views.PAGE_SIZE",
    "kpi.views.challenges.PAGE_SIZE",
    "kpi.views.council.PAGE_SIZE",
    "kpi.views.mine.PAGE_SIZE",
    "kpi.views.returns.PAGE_SIZE",
    "wards.request_views.PAGE_SIZE",
]


@dataclass
class World:
    branch_a1: object
    offered: Package
    awarded: Package
    draft: Package
    open_offer: Offer
    awarded_offer: Offer
    lost_offer: Offer
    ward_request: object
    kpi_return: object
    batch: object
    missed_offer: Offer  # a No Response not challenged yet (K10)
    challenged_offer: Offer  # a No Response challenged, waiting for a decision
    upload_reading: object = None
    upload_refused: object = None
    review_open: object = None
    review_submitted: object = None


def _sent(nina, ward, reference: str) -> Package:
    package = PackageFactory(reference=reference, ward=ward, status="draft")
    package_send_now(actor=nina, package=package)
    package.refresh_from_db()
    return package


@pytest.fixture
def world(
    monkeypatch, provider_a, branch_a1, branch_a2, branch_b1, ward, alice, olivia, nina, bob, rita
):
    """Provider A (a1, a2) and B (b1) on a register of three versions with long real-world names;
    packages draft, offered (a1 answered Offer Made, window open), awarded to a1 (b1 lost it);
    ward requests, a KPI return, triggers and a risk profile for provider A."""
    for name in SMALL_PAGES:
        monkeypatch.setattr(name, 2)
    long_provider = ProviderFactory(
        ref="PLONG", name="Sunrise Domiciliary Care Services (North West) Limited"
    )
    long_branch = BranchFactory(
        provider=long_provider, ref="SUN-BLACKBURN-01", name="Blackburn with Darwen"
    )
    wards = [
        WardFactory(code="E05012002", name="Ribbleton", district="Preston"),
        WardFactory(code="E05012003", name="Brindle and Hoghton with Wheelton", district="Chorley"),
        WardFactory(code="E05012004", name="Garstang and Catterall", district="Wyre"),
    ]
    register_change(add=[(branch_a1, ward), (branch_b1, ward)], note="First register")
    register_change(
        add=[(branch_a2, wards[0]), (long_branch, wards[1]), (long_branch, ward)],
        note="Ward cleanse (v28): Sunrise takes Brindle and Hoghton with Wheelton",
    )
    register_change(add=[(branch_b1, wards[2])], note="Birch takes Garstang")
    tomorrow = timezone.localdate() + timedelta(days=1)
    offered = _sent(nina, ward, "ASC-2026-0142")
    open_offer = offered.offers.get(branch=branch_a1)
    offer_respond(actor=alice, offer=open_offer, response="offer_made", start_date=tomorrow)
    awarded = _sent(nina, ward, "ASC-2026-0099")
    won = awarded.offers.get(branch=branch_a1)
    lost = awarded.offers.get(branch=branch_b1)
    offer_respond(actor=alice, offer=won, response="offer_made", start_date=tomorrow)
    offer_respond(
        actor=bob, offer=lost, response="offer_made", start_date=tomorrow + timedelta(days=3)
    )
    award(actor=nina, package=awarded, offer=won, reason="Already supports two people nearby")
    # L4: two packages held by provider B move in one batch (PR1), sent to A's branch.
    moving = []
    for reference in ("ASC-2026-0077", "ASC-2026-0078"):
        held_package = _sent(nina, ward, reference)
        held = held_package.offers.get(branch=branch_b1)
        offer_respond(actor=bob, offer=held, response="offer_made", start_date=tomorrow)
        award(actor=nina, package=held_package, offer=held)
        moving.append(held_package.pk)
    (batch,) = batches_create(actor=nina, package_ids=moving, reason="Birch hands packages back")
    batch_send(actor=nina, batch=batch)
    _sent(nina, ward, "ASC-2026-0150")
    (ward_request,) = ward_request_create(
        actor=alice,
        branch=branch_a1,
        wards=[wards[0]],
        action="add",
        reason="Two of our carers live in Ribbleton and we have capacity for morning calls.",
    )
    for w in wards[1:]:
        ward_request_create(
            actor=alice, branch=branch_a1, wards=[w], action="add", reason="Capacity there"
        )
    kpi_return = kpi_return_submit(
        actor=olivia,
        provider=provider_a,
        quarter=Quarter.parse("2025-26-Q1"),
        file=io.BytesIO(VISITS.encode()),
        file_name="visits-2025-26-Q1.csv",
    )
    now = timezone.now()
    for n, quarter in enumerate(["2025-26-Q2", "2025-26-Q3", "2025-26-Q4"], start=1):
        provider = [provider_a, branch_b1.provider, long_provider][n - 1]
        KpiTrigger.objects.create(
            provider=provider, quarter=quarter, level=1, missing=True, created_at=now, as_of=now
        )
    RiskProfile.objects.create(provider=provider_a, level="medium", summary="Slow to answer")
    for branch, note in [
        (long_branch, "Three carers on long-term sick leave; recruiting, expect to reopen soon."),
        (branch_b1, "Winter pressures"),
    ]:  # P12: two branches with no capacity declared, for the council's capacity page
        CapacityDeclaration.objects.create(
            branch=branch,
            until=timezone.localdate() + timedelta(days=14),
            note=note,
            declared_at=now,
        )
    provider_a.joined_on = date(2024, 1, 5)
    provider_a.save()
    # Two API tokens of nina's, one revoked, so the tokens table shows (and fits a phone).
    from accounts.tokens import token_issue, token_revoke

    token_issue(user=nina, name="Care management system (Liquidlogic)")
    token_revoke(user=nina, token_id=token_issue(user=nina, name="Old script")[0].pk)
    upload = {
        "provider": provider_a,
        "submitted_at": now,
        "submitted_by": olivia,
        "size": 4_200_000,
        "content": b"",
    }
    upload_reading = KpiReturnUpload.objects.create(
        **upload, quarter="2025-26-Q2", file_name="visits-q2.csv", state="reading", rows_read=25000
    )
    upload_refused = KpiReturnUpload.objects.create(
        **upload,
        quarter="2025-26-Q3",
        file_name="visits-q3.csv",
        state="refused",
        errors=[
            {"row": 2, "column": "planned_start", "message": "the planned start is missing"},
            {"row": 9, "column": "actual_end", "message": "the visit ends before it starts"},
        ],
        error_count=2,
        bad_rows=2,
    )
    missed, challenged = (
        _sent(nina, ward, reference).offers.get(branch=branch_a1)
        for reference in ("ASC-2026-0160", "ASC-2026-0161")
    )
    # Sent four days ago, opened two hours later, expired unanswered a day ago: a true record,
    # saved so the kept response counts move (issue 13).
    sent = now - timedelta(days=4)
    for offer in (missed, challenged):
        offer.placement_response = "no_response"
        offer.sent_at, offer.deadline = sent, sent + timedelta(days=3)
        offer.closed_at, offer.viewed_at = sent + timedelta(days=3), sent + timedelta(hours=2)
        offer.save(
            update_fields=["placement_response", "sent_at", "deadline", "closed_at", "viewed_at"]
        )
    challenge_make(
        actor=alice,
        offer=challenged,
        reason="We phoned the brokerage team at 14:10 to offer a start on Monday; "
        "the e-mail reached us after the deadline.",
    )
    reviews = _reviews(rita, branch_a1, branch_a2, alice, awarded)
    _claims(nina, branch_a1)
    return World(
        review_open=reviews["open"],
        review_submitted=reviews["submitted"],
        branch_a1=branch_a1,
        offered=offered,
        awarded=awarded,
        draft=PackageFactory(reference="ASC-2026-0200", ward=ward, status="draft"),
        open_offer=open_offer,
        awarded_offer=won,
        lost_offer=lost,
        ward_request=ward_request,
        kpi_return=kpi_return,
        upload_reading=upload_reading,
        upload_refused=upload_refused,
        missed_offer=missed,
        challenged_offer=challenged,
        batch=batch,
    )


def _reviews(rita, branch_a1, branch_a2, alice, awarded) -> dict:
    """R1-R3: the awarded package's review delegated (due tomorrow), one submitted awaiting
    sign-off, one returned for a capacity concern, one signed off; three packages due a review."""
    from reviews import services as reviews_services
    from tests.reviews.conftest import award_to

    tomorrow = timezone.localdate() + timedelta(days=1)
    open_review = reviews_services.review_delegate(actor=rita, package=awarded, due_on=tomorrow)
    made = {}
    for key, proposed, concern in [
        ("submitted", "12.5", False),
        ("returned", "10", True),
        ("signed", "8", False),
    ]:
        package = award_to(branch_a1, reference=f"ASC-2025-R{len(made)}")
        review = reviews_services.review_delegate(actor=rita, package=package)
        answers = reviews_services.review_answers(
            review,
            proposed_hours=proposed,
            outcomes="Mrs E. is settled with her morning and tea-time calls; family visit daily. "
            * 6,
            capacity_concern=concern,
        )
        made[key] = reviews_services.review_submit(actor=alice, review=review, answers=answers)
    reviews_services.review_sign_off(actor=rita, review=made["signed"])
    for n in range(3):
        award_to(branch_a2 if n else branch_a1, reference=f"ASC-2024-D{n}")
    return {"open": open_review, **made}


def _claims(nina, branch_a1) -> None:
    """L3: one package cancelled after acceptance, one on the doorstep."""
    from brokerage.services import package_cancel
    from tests.reviews.conftest import award_to

    for n, doorstep in enumerate([False, True]):
        package = award_to(branch_a1, reference=f"ASC-2025-C{n}")
        package_cancel(
            actor=nina,
            package=package,
            reason="Moved into residential care",
            cancelled_on=timezone.localdate(),
            doorstep=doorstep,
        )


@dataclass(frozen=True)
class Visit:
    persona: str
    path: object  # a str, or a callable World -> str
    back_link: bool = False
    paginated: bool = False


def _p(template: str, attr: str):
    return lambda w: template.format(getattr(w, attr).pk)


PAGES: dict[str, Visit] = {
    # Every page with a Back link.
    "package-detail": Visit("nina", _p("/packages/{}/", "offered"), back_link=True),
    "package-create": Visit("nina", "/packages/new/", back_link=True),
    "package-edit": Visit("nina", _p("/packages/{}/edit/", "draft"), back_link=True),
    "package-withdraw": Visit("nina", _p("/packages/{}/withdraw/", "offered"), back_link=True),
    "package-award": Visit("nina", _p("/packages/{}/award/", "offered"), back_link=True),
    "package-cancel": Visit("nina", _p("/packages/{}/cancel/", "awarded"), back_link=True),
    "package-end": Visit("nina", _p("/packages/{}/end/", "awarded"), back_link=True),
    "package-detail-awarded": Visit("nina", _p("/packages/{}/", "awarded"), back_link=True),
    "claims-council": Visit("nina", "/claims/"),
    "claims-provider": Visit("olivia", "/claims/"),
    # R1-R3: trusted reviews.
    "reviews-council": Visit("rita", "/reviews/"),
    "reviews-provider": Visit("alice", "/reviews/"),
    "reviews-due": Visit("rita", "/reviews/due/", back_link=True),
    "reviews-delegate": Visit("rita", "/reviews/delegate/", back_link=True),
    "reviews-returned": Visit("rita", "/reviews/returned/", back_link=True),
    "review-provider": Visit("alice", _p("/reviews/{}/", "review_open"), back_link=True),
    "review-sign-off": Visit("rita", _p("/reviews/{}/", "review_submitted"), back_link=True),
    "review-complete": Visit("alice", _p("/reviews/{}/complete/", "review_open"), back_link=True),
    "home-reviewer": Visit("rita", "/"),
    "award-confirm": Visit(
        "nina",
        lambda w: f"/packages/{w.offered.pk}/award/?offer={w.open_offer.pk}",
        back_link=True,
    ),
    "send-now-confirm": Visit("nina", _p("/packages/{}/send-now/", "draft"), back_link=True),
    "settings": Visit("adam", "/settings/"),
    "batches": Visit("nina", "/batches/"),
    "batches-provider": Visit("olivia", "/batches/"),
    "batch-create": Visit("nina", "/batches/new/?provider=PA", back_link=True),
    "batch": Visit("nina", _p("/batches/{}/", "batch"), back_link=True),
    "batch-branch-view": Visit("alice", _p("/batches/{}/", "batch"), back_link=True),
    "package-widen": Visit("nina", _p("/packages/{}/widen/", "offered"), back_link=True),
    "hard-to-place": Visit("nina", "/packages/hard-to-place/", back_link=True),
    "branch-notifications": Visit(
        "alice", _p("/branches/{}/notifications/", "branch_a1"), back_link=True
    ),
    "provider-notifications": Visit("olivia", "/providers/PA/notifications/", back_link=True),
    "branch-capacity": Visit("alice", _p("/branches/{}/capacity/", "branch_a1"), back_link=True),
    "capacity-navigator": Visit("nina", "/capacity/"),
    "capacity-contract-manager": Visit("carl", "/capacity/"),
    "offer-open": Visit("alice", _p("/offers/{}/", "open_offer"), back_link=True),
    "offer-closed-awarded": Visit("alice", _p("/offers/{}/", "awarded_offer"), back_link=True),
    "offer-closed-not-awarded": Visit("bob", _p("/offers/{}/", "lost_offer"), back_link=True),
    "offer-seen-by-navigator": Visit("nina", _p("/offers/{}/", "open_offer"), back_link=True),
    "ward-health-ward": Visit("carl", "/ward-health/E05012001/", back_link=True),
    "kpi-return-upload": Visit("olivia", "/kpi/returns/new/", back_link=True),
    "kpi-return": Visit("olivia", _p("/kpi/returns/{}/", "kpi_return"), back_link=True),
    "kpi-return-upload-reading": Visit(
        "olivia", _p("/kpi/returns/uploads/{}/", "upload_reading"), back_link=True
    ),
    "kpi-return-upload-refused": Visit(
        "olivia", _p("/kpi/returns/uploads/{}/", "upload_refused"), back_link=True
    ),
    "kpi-risk-profile": Visit("carl", "/kpi/risk/PA/", back_link=True),
    "kpi-my-offers": Visit("olivia", "/kpi/my/offers/", back_link=True),
    "kpi-trigger-reset": Visit("carl", "/kpi/triggers/PA/reset/", back_link=True),
    "ward-request-form": Visit("alice", "/wards/requests/new/", back_link=True),
    "ward-request": Visit("carl", _p("/wards/requests/{}/", "ward_request"), back_link=True),
    "register-changes": Visit("carl", "/wards/register/v2/changes/", back_link=True),
    # The paginated lists.
    "packages": Visit("nina", "/packages/", paginated=True),
    "offer-history": Visit("alice", "/offers/history/", paginated=True),
    "kpi-triggers": Visit("carl", "/kpi/triggers/", paginated=True),
    "kpi-returns-pages": Visit("carl", "/kpi/returns/"),
    # The ward pages that scrolled sideways on a phone (two of them paginated too).
    "ward-requests": Visit("carl", "/wards/requests/", paginated=True),
    "ward-requests-provider": Visit("alice", "/wards/requests/"),
    "register-versions": Visit("carl", "/wards/register/"),
    "register-compare": Visit("carl", "/wards/register/compare/?version=3&since=1", back_link=True),
    "ward-health": Visit("carl", "/ward-health/", paginated=True),
    "register-import": Visit("carl", "/wards/register/import/", back_link=True),
    # Accounts (issue 14.6); the verify page is walked in test_account_pages.py (it needs a device).
    "account": Visit("nina", "/account/"),
    "account-set-up": Visit("nina", "/account/two-factor/set-up/", back_link=True),
    "account-totp": Visit("nina", "/account/two-factor/set-up/authenticator/", back_link=True),
    "account-passkey": Visit("olivia", "/account/two-factor/set-up/passkey/", back_link=True),
    "account-tokens": Visit("nina", "/account/tokens/", back_link=True),
    "account-password": Visit("alice", "/account/password/", back_link=True),
    "password-reset": Visit("nina", "/password-reset/", back_link=True),
    "password-reset-sent": Visit("nina", "/password-reset/sent/"),
    "password-reset-bad-link": Visit("nina", "/password-reset/MQ/not-a-token/"),
    "password-reset-complete": Visit("nina", "/password-reset/complete/"),
    # K10: the challenge form, the offer page with its challenge, the queue and the provider's list.
    "challenge-form": Visit(
        "alice", _p("/kpi/offers/{}/challenge/", "missed_offer"), back_link=True
    ),
    "offer-no-response": Visit("alice", _p("/offers/{}/", "missed_offer"), back_link=True),
    "offer-challenged": Visit("alice", _p("/offers/{}/", "challenged_offer"), back_link=True),
    "challenges-queue": Visit("carl", "/kpi/challenges/"),
    "challenges-provider": Visit("olivia", "/kpi/challenges/"),
}

# A landmark, as axe's `region` rule counts them.
IN_LANDMARK = (
    "el => !!el.closest('main, nav, header, footer, aside, [role=main], [role=navigation], "
    "[role=region][aria-label], section[aria-label], [role=banner], [role=contentinfo]')"
)


def axe_passes(page) -> None:
    """`assert_accessible`, with no exception. GOV.UK Frontend's Radios script puts aria-expanded
    on a radio that reveals a follow-up question (alphagov/govuk-frontend#979), which ARIA does not
    allow (axe `aria-allowed-attr`, critical); static/js/init.mjs takes it off again, so a page
    with such radios must pass like any other and carry no aria-expanded on a radio."""
    assert_accessible(page)
    assert page.locator(".govuk-radios__input[aria-expanded]").count() == 0


def open_page(browser, problems, viewport: str):
    if viewport == "phone":
        return _watched_page(
            browser, problems, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        )
    return _watched_page(browser, problems, viewport=DESKTOP)


def assert_title_says_error_only_with_an_error_summary(page) -> None:
    title = page.title()
    has_summary = page.locator(".govuk-error-summary").count() > 0
    assert title.startswith("Error: ") == has_summary, (
        f"title {title!r} but the page {'has' if has_summary else 'has no'} error summary"
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_passes_axe_fits_the_screen_and_titles_honestly(
    request, browser, live_server, problems, world, bob, carl, name, viewport
):
    visit = PAGES[name]
    context, page = open_page(browser, problems, viewport)
    try:
        signed_in(page, live_server, request.getfixturevalue(visit.persona))
        path = visit.path(world) if callable(visit.path) else visit.path
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, f"{path} answered {response.status}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if visit.back_link:
            back = page.locator(".govuk-back-link")
            expect(back).to_have_count(1)
            assert back.evaluate(IN_LANDMARK), "the Back link sits outside every landmark"
        if visit.paginated:
            expect(page.get_by_role("navigation", name="Pagination")).to_be_visible()
        screenshot(page, f"a11y-{name}-{viewport}")
        assert_title_says_error_only_with_an_error_summary(page)
        assert_page_never_scrolls_sideways(page)
        axe_passes(page)
        problems.assert_none()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_offer_page_with_errors_says_so_in_its_title(
    browser, live_server, problems, world, alice, viewport
):
    """The other half of WCAG 2.4.2: a refused answer shows its error summary and the title says
    "Error:"; the conditional reveal opens on the chosen answer and passes axe."""
    context, page = open_page(browser, problems, viewport)
    try:
        signed_in(page, live_server, alice)
        page.goto(f"{live_server.url}/offers/{world.open_offer.pk}/")
        page.get_by_label("Unable to Accept").check()
        expect(page.get_by_role("group", name="Why can you not accept it?")).to_be_visible()
        axe_passes(page)
        page.get_by_role("button", name="Save your new answer").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        expect(page).to_have_title(
            "Error: Offer of package ASC-2026-0142 – Homecare brokerage portal"
        )
        expect(page.get_by_role("group", name="Why can you not accept it?")).to_be_visible()
        screenshot(page, f"a11y-offer-errors-{viewport}")
        assert_page_never_scrolls_sideways(page)
        axe_passes(page)
        problems.assert_none()
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_capacity_page_by_provider_reads_on_a_phone_without_scrolling_sideways(
    browser, live_server, problems, world, carl, width
):
    """P12: the contract managers' table of how often providers declare no capacity becomes a
    block per provider on a phone, each figure named beside it, rather than a table that hides
    its last column off the side (it scrolled 77 px at 320 px)."""
    context, page = _watched_page(
        browser, problems, viewport={**PHONE, "width": width}, is_mobile=True, has_touch=True
    )
    try:
        signed_in(page, live_server, carl)
        page.goto(f"{live_server.url}/capacity/")
        table = page.get_by_role("table", name="Every declaration so far")
        longest = CapacityDeclaration.objects.get(note__startswith="Three carers").branch.provider
        expect(table.get_by_role("rowheader", name=longest.name)).to_be_visible()
        box = page.locator(".portal-table-container", has=table)
        sideways = box.evaluate("el => el.scrollWidth - el.clientWidth")
        assert sideways <= 0, f"the providers' capacity table scrolls {sideways}px sideways"
        named = table.locator(".portal-stacked-table__label", has_text="Offers auto-answered")
        expect(named.first).to_be_visible()
        box.screenshot(path=str(SCREENSHOTS / f"capacity-by-provider-{width}.png"))
        axe_passes(page)
        problems.assert_none()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_capacity_page_declares_then_refuses_a_date_too_far_with_an_error_title(
    browser, live_server, problems, world, alice, viewport
):
    """P12: the branch declares no capacity on its page, sees the declaration and the lift
    button; a date over 28 days ahead shows the error summary and an "Error:" title."""
    context, page = open_page(browser, problems, viewport)
    try:
        signed_in(page, live_server, alice)
        page.goto(f"{live_server.url}/branches/{world.branch_a1.pk}/capacity/")
        soon = timezone.localdate() + timedelta(days=10)
        page.get_by_label("Day").fill(str(soon.day))
        page.get_by_label("Month").fill(str(soon.month))
        page.get_by_label("Year").fill(str(soon.year))
        page.get_by_label("Why has the branch no capacity?").fill("Two carers off sick")
        page.get_by_role("button", name="Declare no capacity").click()
        expect(
            page.get_by_role("button", name="Lift it: the branch can take packages again")
        ).to_be_visible()
        screenshot(page, f"a11y-branch-capacity-declared-{viewport}")
        assert_title_says_error_only_with_an_error_summary(page)
        assert_page_never_scrolls_sideways(page)
        axe_passes(page)
        far = timezone.localdate() + timedelta(days=40)
        page.get_by_label("Year").fill(str(far.year))
        page.get_by_label("Month").fill(str(far.month))
        page.get_by_label("Day").fill(str(far.day))
        page.get_by_role("button", name="Save the new date and note").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        expect(page.locator(".govuk-error-summary")).to_contain_text("over 28 days ahead")
        screenshot(page, f"a11y-branch-capacity-errors-{viewport}")
        assert_title_says_error_only_with_an_error_summary(page)
        assert_page_never_scrolls_sideways(page)
        axe_passes(page)
        problems.assert_none()
    finally:
        context.close()
