"""I4: every change made in the admin is in the audit trail, with before and after.

`AuditedAdminSite` is the project's `admin.site` (see `core.apps.PortalAdminConfig`): whatever
ModelAdmin is registered on it, ours or a library's (django-celery-beat's schedules, DRF's tokens,
Django's groups), is given `AuditedAdminMixin`, so no admin can be added without its audit. The mixin
reads the row from the database before the admin writes and again after, and records the fields that
changed (`admin.change`), the whole row for `admin.add` and `admin.delete`, inline rows the same way,
and each row an admin action changed or removed (`admin.action`, the action's name as the reason,
so a queryset `update()` such as "Enable selected tasks" is caught too). Each record is written in
the same transaction as the change. Secret fields (password hashes, token keys) are recorded as a
short digest, so a change shows without the secret.

Why a mixin on the site rather than django-pghistory: it works on SQLite as well as PostgreSQL, writes
into the one audit trail every service already uses (`core.audit.audit_record`), and covers every
registered admin at once, including the libraries' admins we do not own.
"""

from __future__ import annotations

import functools
import hashlib
import json

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from .audit import audit_record

SECRET_FIELDS = frozenset({"password", "key", "secret", "token"})


class _Encoder(DjangoJSONEncoder):
    """Django's JSON encoder, and any other value (a time zone, a file) as its text."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _digest(value) -> str:
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:12] if value else ""


def snapshot(obj: models.Model) -> dict:
    """The row as JSON values: every concrete field by column name (`provider_id`), many-to-many
    fields as sorted lists of ids, secret fields as a digest."""
    data = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        data[field.attname] = _digest(value) if field.name in SECRET_FIELDS else value
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            data[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return json.loads(json.dumps(data, cls=_Encoder))


def _stored(model: type[models.Model], pks) -> dict:
    """{pk: snapshot} of the rows as they are in the database now."""
    manager = model._base_manager
    return {obj.pk: snapshot(obj) for obj in manager.filter(pk__in=list(pks))}


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields whose values differ, as (before, after) dicts."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


class _Named:
    """What `audit_record` reads of an object (its model's meta and a key), for a stand-in key."""

    def __init__(self, obj: models.Model, pk: str):
        self._meta = obj._meta
        self.pk = pk


def _ref(obj: models.Model):
    """The object to name in the record; one whose primary key is a secret (DRF's token) is named
    by a digest of it instead."""
    if obj._meta.pk.name not in SECRET_FIELDS:
        return obj
    return _Named(obj, _digest(obj.pk))


class AuditedAdminMixin:
    """Writes an audit record for each add, change, delete and action done through this admin."""

    # -- the object of the form ------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        form._audit_before = _stored(type(obj), [obj.pk]).get(obj.pk) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(form, "_audit_before", None)
        after = snapshot(obj)
        if before is None:
            self._audit(request, "admin.add", obj, None, after)
        else:
            old, new = diff(before, after)
            if new:
                self._audit(request, "admin.change", obj, old, new)
            else:
                self._mark(request, obj)

    # -- inline rows -----------------------------------------------------------------------------

    def save_formset(self, request, form, formset, change):
        model = formset.model
        pks = [f.instance.pk for f in formset.forms if f.instance.pk is not None]
        before = _stored(model, pks)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._audit(request, "admin.add", obj, None, snapshot(obj))
        for obj, _fields in formset.changed_objects:
            old, new = diff(before.get(obj.pk, {}), snapshot(obj))
            if new:
                self._audit(request, "admin.change", obj, old, new)
        for obj in formset.deleted_objects:
            self._audit(request, "admin.delete", obj, before.get(obj.pk), None)

    # -- deletes ---------------------------------------------------------------------------------

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, "admin.delete", obj, snapshot(obj), None)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, "admin.delete", obj, snapshot(obj), None)
            super().delete_queryset(request, queryset)

    # -- actions (which may write with queryset.update) --------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            name: (func if name == "delete_selected" else _audited_action(func, name), name, desc)
            for name, (func, name, desc) in actions.items()
        }

    # -- anything else the admin logs (e.g. a password set on the user's password page) ----------

    def log_addition(self, request, obj, message):
        self._fallback(request, "admin.add", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._fallback(request, "admin.change", obj, message)
        return super().log_change(request, obj, message)

    # -- helpers ---------------------------------------------------------------------------------

    def _fallback(self, request, action: str, obj, message) -> None:
        """A change the admin logged without passing through the hooks above: record it with the
        admin's own description of it (no before, which the admin does not give)."""
        if (obj._meta.label_lower, obj.pk) in getattr(request, "_audited", set()):
            return
        text = message if isinstance(message, str) else json.dumps(message)
        reason = LogEntry(change_message=text).get_change_message() or "changed in the admin"
        self._audit(request, action, obj, None, None, reason=reason)

    @staticmethod
    def _audit(request, action, obj, before, after, reason: str = "admin") -> None:
        _record(request, action, obj, before, after, reason)

    @staticmethod
    def _mark(request, obj) -> None:
        _mark(request, obj)


def _audited_action(func, name: str):
    """`func` (an admin action) run in a transaction with each row it changed or removed audited."""

    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        with transaction.atomic():
            model = queryset.model
            pks = list(queryset.values_list("pk", flat=True))
            before = _stored(model, pks)
            response = func(modeladmin, request, queryset)
            after = _stored(model, pks)
            for pk, old_row in before.items():
                obj = model(pk=pk)
                if pk not in after:
                    _record(request, "admin.action", obj, old_row, None, name)
                    continue
                old, new = diff(old_row, after[pk])
                if new:
                    _record(request, "admin.action", obj, old, new, name)
        return response

    return run


def _record(request, action, obj, before, after, reason) -> None:
    """One audit record by the admin's user, in the caller's transaction; `obj` marked as done."""
    audit_record(
        actor=request.user, action=action, obj=_ref(obj), before=before, after=after, reason=reason
    )
    _mark(request, obj)


def _mark(request, obj) -> None:
    if not hasattr(request, "_audited"):
        request._audited = set()
    request._audited.add((obj._meta.label_lower, obj.pk))


class AuditedAdminSite(admin.AdminSite):
    """The admin site whose every ModelAdmin is audited (`AuditedAdminMixin` added on register)."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (AuditedAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
