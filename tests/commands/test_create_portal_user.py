"""`manage.py create_portal_user` (API.md): one user per role; a bad request creates no one."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from core.models import AuditEvent
from providers.models import Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_portal_user", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def can_sign_in(username: str, password: str) -> bool:
    request = RequestFactory().post("/sign-in/")
    return authenticate(request, username=username, password=password) is not None


@pytest.mark.parametrize(
    "role", [Role.NAVIGATOR, Role.CONTRACT_MANAGER, Role.REVIEWER, Role.ADMIN], ids=str
)
def test_council_role_user_is_created_and_can_sign_in(role):
    out, err = run("sam", "--role", role, "--password", PASSWORD, "--email", "sam@council.example")
    user = User.objects.get(username="sam")
    assert (user.role, user.provider, user.branch) == (role, None, None)
    assert user.email == "sam@council.example"
    assert can_sign_in("sam", PASSWORD)
    assert out.startswith("Created ")
    assert err == ""


def test_admin_is_staff_and_superuser_so_the_django_admin_works():
    run("root", "--role", "admin", "--password", PASSWORD)
    user = User.objects.get(username="root")
    assert user.is_staff and user.is_superuser


def test_navigator_is_not_staff():
    run("nav", "--role", "navigator", "--password", PASSWORD)
    user = User.objects.get(username="nav")
    assert not user.is_staff and not user.is_superuser


def test_provider_org_user_belongs_to_the_provider(provider_a):
    out, _ = run("head", "--role", "provider_org", "--password", PASSWORD, "--provider", "PA")
    user = User.objects.get(username="head")
    assert (user.provider, user.branch) == (provider_a, None)
    assert "Amber Homecare Ltd" in out
    assert can_sign_in("head", PASSWORD)


def test_provider_branch_user_belongs_to_the_branch(branch_a2):
    run(
        "office", "--role", "provider_branch", "--password", PASSWORD, "--provider", "PA",
        "--branch", "A2",
    )  # fmt: skip
    user = User.objects.get(username="office")
    assert (user.provider, user.branch) == (branch_a2.provider, branch_a2)
    assert can_sign_in("office", PASSWORD)


def test_new_user_is_audited_without_the_password(provider_a):
    run("head", "--role", "provider_org", "--password", PASSWORD, "--provider", "PA")
    event = AuditEvent.objects.get(action="user.create")
    assert event.after["username"] == "head"
    assert event.after["provider"] == "PA"
    assert PASSWORD not in str(event.after)
    assert "password" not in event.after


def test_weak_password_is_accepted_with_a_one_line_warning():
    _, err = run("weak", "--role", "reviewer", "--password", "password")
    assert User.objects.filter(username="weak").exists()
    assert err.count("\n") == 1
    assert err.startswith("Warning: weak password")


BAD = {
    "unknown-role": (["--role", "superhero"], "unknown role 'superhero'"),
    "provider-role-without-provider": (["--role", "provider_org"], "needs a provider"),
    "branch-role-without-branch": (
        ["--role", "provider_branch", "--provider", "PA"],
        "needs a branch",
    ),
    "unknown-provider": (["--role", "provider_org", "--provider", "PZ"], "no provider with"),
    "branch-of-another-provider": (
        ["--role", "provider_branch", "--provider", "PA", "--branch", "B1"],
        "provider 'PA' has no branch with reference 'B1'",
    ),
    "org-role-with-branch": (
        ["--role", "provider_org", "--provider", "PA", "--branch", "A1"],
        "an organisation user has no branch",
    ),
    "council-role-with-provider": (
        ["--role", "navigator", "--provider", "PA"],
        "council staff and has no provider",
    ),
    "council-role-with-branch": (
        ["--role", "reviewer", "--branch", "A1"],
        "has no provider or branch",
    ),
    "bad-email": (["--role", "navigator", "--email", "not-an-email"], "valid email"),
    "blank-password": (["--role", "navigator", "--password", ""], "the password is empty"),
}


@pytest.mark.parametrize(("args", "expected"), BAD.values(), ids=BAD.keys())
def test_bad_request_is_a_one_line_error_and_creates_no_user(branch_a1, branch_b1, args, expected):
    before = User.objects.count()
    with pytest.raises(CommandError) as error:
        run("newbie", "--password", PASSWORD, *args)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)
    assert User.objects.count() == before
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_existing_username_is_refused_and_the_user_is_unchanged(nina):
    with pytest.raises(CommandError, match="a user named 'nina' already exists"):
        run("nina", "--role", "admin", "--password", PASSWORD)
    nina.refresh_from_db()
    assert nina.role == Role.NAVIGATOR and not nina.is_superuser


def test_existing_username_in_other_case_is_refused(nina):
    with pytest.raises(CommandError, match="already exists"):
        run("Nina", "--role", "navigator", "--password", PASSWORD)
    assert User.objects.filter(username__iexact="nina").count() == 1


def test_missing_password_is_an_argument_error():
    with pytest.raises(CommandError, match="--password"):
        run("someone", "--role", "navigator")
    assert not User.objects.filter(username="someone").exists()
