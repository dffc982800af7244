"""I4 (issue 14.1): an audit trail no one can rewrite. The database refuses UPDATE and DELETE of an
audit row (PostgreSQL trigger), and every change made in the admin is recorded with before and
after, whichever admin it is (ours, django-celery-beat's, Django's)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.forms import MultiWidget
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.admin_audit import AuditedAdminMixin
from core.audit import audit_record
from core.models import AuditEvent, PortalSettings
from kpi.models import DiscountedQuarter, KpiSettings, RiskProfile
from providers.models import Provider, Role

pytestmark = pytest.mark.django_db


# -- the database refuses -------------------------------------------------------------------------


@pytest.fixture
def event(adam, provider_a):
    return audit_record(
        actor=adam, action="provider.status", obj=provider_a, before={"a": 1}, after={"a": 2}
    )


def test_I4_orm_refuses_update_and_delete_of_an_audit_row(event):
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        event.delete,
        event.save,
    ):
        with pytest.raises(PermissionError):
            attempt()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET action = 'rewritten', after = NULL WHERE id = %s",
        "UPDATE core_auditevent SET actor_label = 'someone else' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ],
)
def test_I4_postgres_refuses_raw_sql_update_and_delete_of_an_audit_row(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.actor_label, stored.after) == (
        "provider.status",
        "adam",
        {"a": 2},
    )


@pytest.mark.postgres
def test_I4_postgres_refuses_even_clearing_the_actor_with_other_changes(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditevent SET actor_id = NULL, reason = 'x' WHERE id = %s", [event.pk]
        )


def test_I4_removing_a_user_keeps_their_audit_records_under_their_name(event, adam):
    """The one update the trigger lets through: the foreign key's own SET NULL."""
    adam.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_label, stored.action) == (None, "adam", "provider.status")


# -- every admin is audited -----------------------------------------------------------------------


def test_I4_every_registered_admin_is_audited():
    registry = admin.site._registry
    assert len(registry) > 20
    unaudited = [m._meta.label for m, a in registry.items() if not isinstance(a, AuditedAdminMixin)]
    assert unaudited == []


def form_data(response) -> dict:
    """The POST data the admin page's form would send unchanged (main form, inlines, management
    forms), so a test changes only what it means to."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or field.disabled:
                continue
            if isinstance(field.widget, MultiWidget):
                parts = value if isinstance(value, list) else field.widget.decompress(value)
                for i, part in enumerate(parts):
                    data[f"{key}_{i}"] = "" if part is None else str(part)
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)
    return data


def change(client, model, obj, **changes):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    data = form_data(client.get(url)) | changes
    response = client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in [response.context["adminform"].form]
    ]
    return response


def events(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), action__startswith="admin."
        ).order_by("id")
    )


@pytest.fixture
def admin_client_as_adam(client, adam):
    client.force_login(adam)
    return client


def test_I4_admin_change_of_pdps_status_and_cqc_rating_is_audited_with_before_and_after(
    admin_client_as_adam, adam, provider_a, branch_a1
):
    before_status, before_rating = provider_a.pdps_status, provider_a.cqc_rating
    change(
        admin_client_as_adam, Provider, provider_a, pdps_status="suspended", cqc_rating="inadequate"
    )
    [event] = events(provider_a)
    assert (event.action, event.actor_label, event.actor_id) == ("admin.change", "adam", adam.pk)
    assert event.before == {"pdps_status": before_status, "cqc_rating": before_rating}
    assert event.after == {"pdps_status": "suspended", "cqc_rating": "inadequate"}
    assert events(branch_a1) == []  # the inline branch was not changed


def test_I4_admin_change_of_an_inline_branch_is_audited(
    admin_client_as_adam, provider_a, branch_a1
):
    url = reverse("admin:providers_provider_change", args=[provider_a.pk])
    data = form_data(admin_client_as_adam.get(url))
    [prefix] = {k.rsplit("-", 1)[0] for k in data if k.endswith("-name") and "-" in k}
    data[f"{prefix}-name"] = "Preston North"
    assert admin_client_as_adam.post(url, data).status_code == 302
    [event] = events(branch_a1)
    assert (event.before, event.after) == ({"name": "Preston"}, {"name": "Preston North"})
    assert events(provider_a) == []


def test_I4_admin_role_change_is_audited(admin_client_as_adam, nina):
    User = type(nina)
    # The admin's date-and-time fields hold whole seconds; start from one so only the role changes.
    User.objects.filter(pk=nina.pk).update(date_joined=nina.date_joined.replace(microsecond=0))
    change(admin_client_as_adam, User, nina, role=Role.CONTRACT_MANAGER)
    [event] = events(nina)
    assert (event.before, event.after) == (
        {"role": Role.NAVIGATOR},
        {"role": Role.CONTRACT_MANAGER},
    )


def test_I4_admin_password_change_is_audited_without_the_password(admin_client_as_adam, nina):
    url = reverse("admin:auth_user_password_change", args=[nina.pk])
    new = "a-Much-Longer-passphrase-9"
    response = admin_client_as_adam.post(url, {"password1": new, "password2": new})
    assert response.status_code == 302
    [event] = events(nina)
    assert event.action == "admin.change" and "password" in event.reason.lower()
    assert new not in str(event.before) + str(event.after) + event.reason


def test_I4_admin_settings_changes_are_audited(admin_client_as_adam):
    settings = PortalSettings.load()
    change(admin_client_as_adam, PortalSettings, settings, standard_deadline_hours="48")
    [event] = events(settings)
    assert (event.before, event.after) == (
        {"standard_deadline_hours": 72},
        {"standard_deadline_hours": 48},
    )
    kpi = KpiSettings.load()
    old = kpi.late_start_minutes
    change(admin_client_as_adam, KpiSettings, kpi, late_start_minutes=str(old + 5))
    [event] = events(kpi)
    assert (event.before, event.after) == (
        {"late_start_minutes": old},
        {"late_start_minutes": old + 5},
    )


@pytest.fixture
def task(db):
    crontab = CrontabSchedule.objects.create(minute="0", hour="11", timezone="Europe/London")
    return PeriodicTask.objects.create(
        name="audit test task", task="core.tasks.heartbeat", crontab=crontab, enabled=True
    )


def test_I4_admin_schedule_changes_are_audited(admin_client_as_adam, task):
    change(admin_client_as_adam, CrontabSchedule, task.crontab, hour="10", minute="30")
    [event] = events(task.crontab)
    assert (event.before, event.after) == (
        {"minute": "0", "hour": "11"},
        {"minute": "30", "hour": "10"},
    )


def test_I4_admin_action_writing_with_update_is_audited(admin_client_as_adam, task):
    """django-celery-beat's "Disable selected tasks" writes with queryset.update()."""
    response = admin_client_as_adam.post(
        reverse("admin:django_celery_beat_periodictask_changelist"),
        {"action": "disable_tasks", "_selected_action": [task.pk]},
    )
    assert response.status_code == 302
    [event] = events(task)
    assert (event.action, event.reason) == ("admin.action", "disable_tasks")
    assert (event.before["enabled"], event.after["enabled"]) == (True, False)


def test_I4_admin_add_and_delete_are_audited(admin_client_as_adam, adam, provider_a):
    url = reverse("admin:kpi_riskprofile_add")
    response = admin_client_as_adam.post(
        url,
        {
            "provider": provider_a.pk,
            "level": "high",
            "summary": "Two missed visits",
            "updated_by": adam.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile = RiskProfile.objects.get(provider=provider_a)
    [added] = events(profile)
    assert added.action == "admin.add" and added.before is None
    assert (added.after["level"], added.after["summary"]) == ("high", "Two missed visits")

    quarter = DiscountedQuarter.objects.create(quarter="2026-27-Q1", reason="Covid")
    delete = reverse("admin:kpi_discountedquarter_delete", args=[quarter.pk])
    assert admin_client_as_adam.post(delete, {"post": "yes"}).status_code == 302
    [deleted] = events(quarter)
    assert deleted.action == "admin.delete" and deleted.after is None
    assert deleted.before["reason"] == "Covid"


def test_I4_admin_bulk_delete_is_audited_once_per_row(admin_client_as_adam):
    rows = [
        DiscountedQuarter.objects.create(quarter=q, reason="r")
        for q in ("2026-27-Q1", "2026-27-Q2")
    ]
    response = admin_client_as_adam.post(
        reverse("admin:kpi_discountedquarter_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"},
    )
    assert response.status_code == 302
    assert [len(events(r)) for r in rows] == [1, 1]
    assert not DiscountedQuarter.objects.exists()


def test_I4_an_admin_change_that_fails_validation_records_nothing(admin_client_as_adam, nina):
    User = type(nina)
    url = reverse("admin:providers_user_change", args=[nina.pk])
    data = form_data(admin_client_as_adam.get(url)) | {"username": ""}
    assert admin_client_as_adam.post(url, data).status_code == 200
    assert events(nina) == []
    assert User.objects.get(pk=nina.pk).username == "nina"


def test_I4_a_token_admin_records_no_token_key(admin_client_as_adam, nina):
    from rest_framework.authtoken.models import Token, TokenProxy

    token = Token.objects.create(user=nina)
    # DRF's token admin addresses a token by its user's id.
    delete = reverse("admin:authtoken_tokenproxy_delete", args=[nina.pk])
    assert admin_client_as_adam.post(delete, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(object_type=TokenProxy._meta.label_lower)
    assert token.key not in f"{event.object_id} {event.before}"
    assert event.before["user_id"] == nina.pk and not Token.objects.exists()
