"""`manage.py load_demo`: the Lancashire market, through the services, with one user per role."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

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


def test_provider_users_belong_to_the_first_active_provider_and_its_first_branch(demo_output):
    org, branch_user = User.objects.get(username="provider"), User.objects.get(username="branch")
    first = Provider.objects.on_framework().order_by("ref").first()
    assert org.provider == first and org.branch is None
    assert branch_user.provider == first
    assert branch_user.branch == first.branches.order_by("ref").first()


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

    from brokerage.models import Notification

    day_ago = timezone.now() - timedelta(days=1)
    assert (
        not Notification.objects.exclude(state="sent").filter(offer__sent_at__lt=day_ago).exists()
    )
