"""`manage.py load_demo`: the Lancashire market, through the services, with one user per role."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from core.models import AuditEvent
from demo.steps import CREDENTIALS, STEPS, users_table
from providers.models import Branch, PdpsStatus, Provider, Role, User
from wards.models import Coverage, RegisterVersion, Ward

pytestmark = pytest.mark.django_db

DISTRICTS = {
    "Burnley", "Chorley", "Fylde", "Hyndburn", "Lancaster", "Pendle", "Preston",
    "Ribble Valley", "Rossendale", "South Ribble", "West Lancashire", "Wyre",
}  # fmt: skip


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Ward, Provider, Branch, Coverage, RegisterVersion, User, AuditEvent)
    return {m.__name__: m.objects.count() for m in models}


def printed_row(output: str, credential) -> str:
    """The line of the printed users table for `credential`: role, username, password."""
    cells = [credential.label, credential.username, credential.password]
    row = re.compile(r"^\s*" + r"\s{2,}".join(re.escape(c) for c in cells) + r"(\s|$)")
    for line in output.splitlines():
        if row.match(line):
            return line
    raise AssertionError(f"no row for {credential.username} in:\n{output[-2000:]}")


def test_printed_summary_is_a_table_of_every_demo_users_role_username_and_password():
    """Issue 8.4: the closing message lists the users, not the name of a Python constant."""
    lines = users_table()
    assert lines[0].split() == ["Role", "Username", "Password"]
    text = "\n".join(lines)
    for credential in CREDENTIALS:
        assert printed_row(text, credential)
    assert "CREDENTIALS" not in text


@pytest.fixture(scope="module")
def _loaded_once(django_db_setup, django_db_blocker):
    """Load the demo once for the module (it takes seconds) and empty the database afterwards."""
    with django_db_blocker.unblock():
        output = load()
    yield output
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo_output(_loaded_once, db) -> str:
    return _loaded_once


def test_demo_has_the_twelve_lancashire_districts_and_hundreds_of_wards(demo_output):
    assert set(Ward.objects.values_list("district", flat=True)) == DISTRICTS
    assert Ward.objects.count() >= 200
    assert all(
        code.startswith("E05") and len(code) == 9
        for code in Ward.objects.values_list("code", flat=True)
    )


def test_demo_has_about_110_providers_mostly_active_with_branches(demo_output):
    assert 100 <= Provider.objects.count() <= 120
    statuses = {s: Provider.objects.filter(pdps_status=s).count() for s in PdpsStatus.values}
    assert statuses[PdpsStatus.ACTIVE] >= 95
    assert statuses[PdpsStatus.SUSPENDED] > 0 and statuses[PdpsStatus.LEFT] > 0
    assert not Provider.objects.filter(branches__isnull=True).exists()
    assert not Branch.objects.filter(notification_email="").exists()
    assert not Provider.objects.filter(senior_manager_email="").exists()


def test_demo_register_was_published_in_several_versions(demo_output):
    assert RegisterVersion.objects.filter(number__gt=0).count() >= 3
    assert Coverage.objects.in_force().count() > 1000
    assert "register v1:" in demo_output


def test_providers_who_left_cover_no_wards(demo_output):
    left = Coverage.objects.in_force().filter(branch__provider__pdps_status=PdpsStatus.LEFT)
    assert not left.exists()


def test_every_roles_user_can_sign_in_with_the_printed_password(demo_output):
    request = RequestFactory().post("/sign-in/")
    assert {c.role for c in CREDENTIALS} == set(Role.values)
    for credential in CREDENTIALS:
        assert printed_row(demo_output, credential)
        user = authenticate(request, username=credential.username, password=credential.password)
        assert user is not None, credential.username
        assert user.role == credential.role


def test_org_user_works_for_a_provider_with_three_branches_each_with_offers(demo_output):
    """Issue 8.8: "an organisation user sees all its branches' offers" can be seen in the demo;
    the branch user works at one of those branches and sees its own offers alone (A1)."""
    from brokerage.models import Offer

    org, branch_user = User.objects.get(username="provider"), User.objects.get(username="branch")
    provider = org.provider
    assert org.branch is None and provider.pdps_status == PdpsStatus.ACTIVE
    branches = Branch.objects.visible_to(org).filter(is_active=True)
    assert branches.count() >= 3
    seen = Offer.objects.visible_to(org)
    for branch in branches:
        assert seen.filter(branch=branch).exists(), branch
    assert not seen.exclude(provider=provider).exists()
    assert branch_user.provider == provider and branch_user.branch in branches
    own = Offer.objects.visible_to(branch_user)
    assert own.exists() and not own.exclude(branch=branch_user.branch).exists()
    assert own.count() < seen.count()


def test_history_spans_four_quarters_with_rates_on_the_dashboard(demo_output, client):
    """Issue 8.8: offers sent, answered and awarded in at least four financial quarters ending
    with the current or the last one, each with a market rate on the dashboard (K1, K8)."""
    from django.utils import timezone

    from brokerage.models import Offer
    from kpi.figures import quarter_figures
    from kpi.quarters import Quarter

    now = timezone.now()
    figures = [f for f in quarter_figures(now) if f.market.rate is not None]
    assert len(figures) >= 4
    assert figures[-1].quarter in (Quarter.containing(now), Quarter.containing(now).previous())
    for fig in figures[-4:]:
        assert fig.market.providers >= 50, fig.quarter  # most of the market, not a handful
        in_quarter = Offer.objects.filter(
            sent_at__gte=fig.quarter.start_at, sent_at__lt=fig.quarter.end_at
        )
        assert in_quarter.filter(placement_response="offer_made").exists()
        assert in_quarter.filter(placement_response="unable_to_accept").exists()
        assert in_quarter.filter(placement_response="no_response").exists()
        assert in_quarter.filter(outcome="awarded").exists()
        assert fig.offer_rate

    client.force_login(User.objects.get(username="contract"))
    response = client.get("/kpi/dashboard/")
    assert response.status_code == 200
    assert "No offers counted yet." not in response.content.decode()


def test_my_kpis_for_the_demo_provider_has_figures_for_four_quarters(demo_output, client):
    """Issue 8.8: K4's own figures are there to see, quarter by quarter."""
    client.force_login(User.objects.get(username="provider"))
    response = client.get("/kpi/my/")
    assert response.status_code == 200
    quarters = [r for r in response.context["rows"] if not r["period"].code.startswith("rolling")]
    with_figures = [r for r in quarters if r["row"] is not None and r["row"].rate is not None]
    assert len(with_figures) >= 4, [r["period"].code for r in with_figures]


def test_demo_provider_has_returned_its_kpi_returns(demo_output):
    """K5: the demo provider's users see returns made, not a provider that never returns."""
    from kpi.models import KpiReturn

    provider = User.objects.get(username="provider").provider
    assert KpiReturn.objects.filter(provider=provider).count() >= 4


def test_packages_are_dated_when_they_came_in_not_when_the_demo_was_loaded(demo_output):
    """K8's new packages per month needs packages spread over the months, not all made today."""
    from datetime import timedelta

    from django.utils import timezone

    from brokerage.models import Package
    from kpi.figures import new_packages_per_month

    months = new_packages_per_month(timezone.now())
    assert sum(1 for m in months if m["long"] + m["short"] > 0) >= 10
    assert Package.objects.filter(created_at__lt=timezone.now() - timedelta(days=300)).exists()


def test_admin_user_can_use_the_django_admin(demo_output):
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser


def test_running_twice_changes_nothing_and_prints_the_credentials_again(demo_output):
    before = counts()
    again = load()
    assert counts() == before
    assert "already loaded" in again
    for credential in CREDENTIALS:
        assert printed_row(again, credential)


def test_demo_prints_progress_for_every_step(demo_output):
    for number in range(1, len(STEPS) + 1):
        assert f"[{number}/{len(STEPS)}]" in demo_output
    assert "CREDENTIALS" not in demo_output  # a Python name means nothing to a person
    assert "Demo users: sign in at /sign-in/ with" in demo_output


def test_demo_is_the_same_every_time():
    from demo import lancashire

    lancashire.market.cache_clear()
    first = [(p.ref, p.name, [b.wards for b in p.branches]) for p in lancashire.market()]
    lancashire.market.cache_clear()
    assert [(p.ref, p.name, [b.wards for b in p.branches]) for p in lancashire.market()] == first


def test_demo_has_brokerage_history_and_open_offers_for_the_branch_user(demo_output):
    """The pages have true things to show: every placement response and outcome, and an inbox."""
    from brokerage.models import Offer, Package

    assert Package.objects.count() > 200
    assert set(Offer.objects.values_list("placement_response", flat=True)) >= {
        "offer_made", "unable_to_accept", "no_response", "closed_before_response", None,
    }  # fmt: skip
    assert set(Offer.objects.values_list("outcome", flat=True)) >= {
        "open",
        "awarded",
        "not_awarded",
    }
    assert set(Package.objects.values_list("status", flat=True)) >= {
        "offered",
        "awarded",
        "withdrawn",
    }
    branch_user = User.objects.get(username="branch")
    assert Offer.objects.visible_to(branch_user).awaiting_answer().count() >= 2


def test_demo_has_kpi_returns_and_triggers_at_several_levels(demo_output):
    """K5-K7: most providers returned, some late, and the escalation raised their triggers."""
    from kpi.models import KpiReturn, KpiTrigger

    assert KpiReturn.objects.count() > 300
    assert KpiReturn.objects.filter(late=True).exists()
    assert set(KpiTrigger.objects.values_list("level", flat=True)) >= {1, 2}


def test_demo_history_emails_are_recorded_sent_not_left_to_go_out_again(demo_output):
    """P7: the resend job must find nothing old to send after a demo load."""
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import Notification

    day_ago = timezone.now() - timedelta(days=1)
    assert (
        not Notification.objects.exclude(state="sent").filter(offer__sent_at__lt=day_ago).exists()
    )


def test_demo_has_care_in_force_a_year_ago_so_the_dashboard_compares(demo_output):
    """K8: 'commissioned hours now and a year ago' needs history older than a year."""
    from kpi.figures import commissioned_hours

    hours = commissioned_hours(timezone.now())
    assert hours["hours_year_ago"] > 0
    assert hours["hours_now"] > 0


def test_demo_has_the_review_pilot_in_every_state_and_claims(demo_output):
    """R1-R3, L3 (issue 11): the pilot's 191 reviews in its proportions (143 no change, 14
    reductions, 18 increases, 16 returned: 8 over 3.5 hours, 8 for mental capacity) by nine
    providers, reviews in every state, hours changed by the signed-off ones, a claim for every
    cancelled package, and ended packages with their date and reason."""
    from django.db.models import Count

    from brokerage.models import Claim, HoursChange, Package
    from reviews.models import Review

    submitted = Review.objects.exclude(status="delegated")
    assert dict(submitted.values_list("outcome").annotate(n=Count("id"))) == {
        "no_change": 143,
        "reduction": 14,
        "increase": 18,
        "reassessment": 16,
    }
    assert submitted.filter(outcome="reassessment", capacity_concern=True).count() == 8
    assert submitted.values("provider").distinct().count() == 9
    assert set(Review.objects.values_list("status", flat=True)) == {
        "delegated",
        "submitted",
        "signed_off",
        "returned",
    }
    changed = Review.objects.filter(status="signed_off", outcome__in=["reduction", "increase"])
    assert HoursChange.objects.filter(source_id__in=changed.values("pk")).count() == changed.count()
    provider = User.objects.get(username="provider")
    assert Review.objects.visible_to(provider).filter(status="delegated").exists()
    cancelled = Package.objects.filter(status="cancelled")
    assert cancelled.exists() and Claim.objects.count() == cancelled.count()
    assert set(Claim.objects.values_list("kind", flat=True)) == {"cancellation", "assessment"}
    ended = Package.objects.filter(status="ended")
    assert ended.exists() and not ended.filter(ended_on__isnull=True).exists()


def test_demo_has_challenges_waiting_upheld_and_rejected(demo_output, client):
    """K10: the queue has challenges to decide, and the K1 pages show offers excluded after
    challenge; the demo provider's users see one of each of their own."""
    from kpi.models import Challenge
    from kpi.quarters import Quarter
    from kpi.selectors import RateWindow, provider_rates

    assert "challenges: " in demo_output
    statuses = list(Challenge.objects.values_list("status", flat=True))
    counts = {s: statuses.count(s) for s in set(statuses)}
    assert set(counts) == {"open", "upheld", "rejected"} and min(counts.values()) >= 2, counts
    provider = User.objects.get(username="provider").provider
    own = list(
        Challenge.objects.filter(offer__provider=provider)
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert own == ["upheld", "open", "rejected"][: len(own)] and len(own) >= 2, own
    for challenge in Challenge.objects.select_related("offer"):
        assert challenge.offer.placement_response == "no_response"
        assert challenge.made_at >= challenge.offer.deadline
        if challenge.decided_at:
            assert challenge.decided_at >= challenge.made_at
    quarters = {c.quarter for c in Challenge.objects.filter(status="upheld")}
    excluded = sum(
        r.excluded
        for q in quarters
        for r in provider_rates(RateWindow.for_quarter(Quarter.parse(q)))
    )
    assert excluded == counts["upheld"]
    client.force_login(User.objects.get(username="contract"))
    queue = client.get("/kpi/challenges/").content.decode()
    assert queue.count("Uphold") >= 1


def test_demo_has_branches_with_no_capacity_now_and_a_history_of_declarations(demo_output, client):
    """P12: navigators see branches with no capacity by district; contract managers see how often
    each provider declared; the demo provider has a declaration of its own (lifted or ended)."""
    from brokerage.capacity import capacity_by_district, capacity_by_provider
    from brokerage.models import CapacityDeclaration
    from demo.steps import demo_provider

    assert "capacity: 4 branches with no capacity now" in demo_output
    declared = [d for d in capacity_by_district() if d.declared]
    assert len(declared) >= 4  # one branch per district, each of another provider
    assert CapacityDeclaration.objects.filter(lifted_at__isnull=False).count() >= 3
    shown, _ = demo_provider()
    own = CapacityDeclaration.objects.filter(branch__provider=shown)
    assert own.count() == 1 and not own.active_at(timezone.now()).exists()
    assert (
        len(capacity_by_provider())
        == CapacityDeclaration.objects.values("branch__provider").distinct().count()
        >= 5
    )
    client.force_login(User.objects.get(username="navigator"))
    page = client.get("/capacity/").content.decode()
    assert page.count("with no capacity</caption>") == len(declared)


def test_demo_kept_response_counts_equal_a_recount(demo_output):
    """Issue 13: every way the demo writes offers (services, the history's bulk_create, P12's
    automatic answers, K10's upheld challenges) leaves the kept response counts, and K12's kept
    market gaps, equal to a recount."""
    from brokerage import counts
    from brokerage.models import GapCount, ResponseCount

    assert ResponseCount.objects.filter(excluded__gt=0).exists()  # the demo upholds challenges
    assert counts.stored() == counts.recount()
    assert GapCount.objects.filter(declined__gt=0, made=0).exists()  # gaps the demo shows
    assert counts.stored_gaps() == counts.recount_gaps()
    assert counts.stored_wards() == counts.recount_wards()  # W5
