"""The domain errors every service raises, and the one page helper that shows them (STYLE 19).

A service refuses with one of four kinds; the API's exception handler (`core.api.exception_handler`)
turns them into HTTP as API.md says, and pages put them on their form with `add_domain_error`:

- `InvalidInput({field: [messages]})`: the input is wrong (API 400 with that body; on a page the
  messages go beside their fields, the rest above the form);
- `NotAllowed`: the actor's role may not do this (403);
- `NotFound`: no such object, or not the actor's (404, A1);
- `StateConflict`: the object's state forbids it (409 with `{"detail": message}`).

An app's own error classes subclass these (brokerage's `BrokerageError`, kpi's `KpiError`...), so a
new feature adds a subclass, never a third mechanism. This module imports nothing from DRF: pages
use it too.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError

RACE_MESSAGE = "Someone else changed this at the same moment. Reload the page and try again."


class DomainError(Exception):
    """A service refused. `status_code` is the HTTP status the API answers; `body()` its JSON."""

    status_code = 409

    def __init__(self, detail: str = ""):
        super().__init__(detail)

    @property
    def detail(self) -> str:
        return str(self)

    def body(self) -> dict:
        """The API's JSON body: `{"detail": message}` unless a kind says otherwise."""
        return {"detail": self.detail}

    def field_errors(self) -> dict[str, list[str]]:
        """Messages by input field; empty when the error is about no one field."""
        return {}


class InvalidInput(DomainError):
    """The input is wrong; `errors` maps each field to its messages (API 400 `{field: [msgs]}`)."""

    status_code = 400

    def __init__(self, errors: dict[str, list[str]], *, detail: str = ""):
        self.errors = errors
        super().__init__(detail or "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))

    def body(self) -> dict:
        return self.errors

    def field_errors(self) -> dict[str, list[str]]:
        return self.errors

    def renamed(self, **names: str) -> InvalidInput:
        """The same refusal with fields renamed `service_name=outside_name`, for the one place an
        outside contract names a field differently (API.md's cancel `date`)."""
        errors = {names.get(field, field): messages for field, messages in self.errors.items()}
        return type(self)(errors) if type(self) is InvalidInput else InvalidInput(errors)


class NotAllowed(DomainError):
    """The actor's role may not do this (403)."""

    status_code = 403


class NotFound(DomainError):
    """No such object, or not the actor's: the same answer for both (404, A1)."""

    status_code = 404


class StateConflict(DomainError):
    """The object's state forbids this: award twice, answer after the window closed (409)."""

    status_code = 409


def as_domain_error(exc: Exception) -> DomainError | None:
    """`exc` as a domain error, or None when it is not one.

    Two database-layer refusals count too: a model's `ValidationError` (the service validated the
    row again with `full_clean`) is invalid input, and an `IntegrityError` is a do-once constraint
    that lost a race, a state conflict."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return InvalidInput(exc.message_dict)
        return InvalidInput({"detail": exc.messages})
    if isinstance(exc, IntegrityError):
        return StateConflict(RACE_MESSAGE)
    return None


def add_domain_error(
    form: forms.BaseForm, exc: Exception, *, fields: dict[str, str] | None = None
) -> None:
    """Show a service's refusal on `form`, for the GOV.UK error summary: each field's messages
    beside that field (renamed through `fields` where the service and the form name it
    differently), everything else above the form as a non-field error.

    Raises `exc` again when it is no domain error (a bug, not a refusal)."""
    error = as_domain_error(exc)
    if error is None:
        raise exc
    by_field = error.field_errors()
    if not by_field:
        form.add_error(None, error.detail)
        return
    fields = fields or {}
    for field, messages in by_field.items():
        name = fields.get(field, field)
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        for message in messages:
            form.add_error(target, message)


def page_refusal(
    form: forms.BaseForm | None, exc: Exception, *, fields: dict[str, str] | None = None
) -> str:
    """A service's refusal on a page, the one way pages show one: field messages go onto `form`
    (its error summary) and '' is returned; any other refusal (a state conflict, a lost race, or
    field messages with no form to hold them) is returned as the sentence the page shows above
    its content. Raises `exc` again when it is no domain error (a bug, not a refusal)."""
    error = as_domain_error(exc)
    if error is None:
        raise exc
    by_field = error.field_errors()
    if by_field and form is not None:
        add_domain_error(form, error, fields=fields)
        return ""
    if by_field:
        return " ".join(message for messages in by_field.values() for message in messages)
    return error.detail


# What a page catches around a service call to show the refusal with `add_domain_error`.
PAGE_ERRORS = (DomainError, DjangoValidationError, IntegrityError)
