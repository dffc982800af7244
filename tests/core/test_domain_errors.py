"""The one error model (issue 9.2, STYLE 19): each kind of domain error becomes its HTTP status
and body through `core.api.exception_handler`, and `add_domain_error` puts it on a page's form."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404

from core.api import exception_handler
from core.csvio import RowError
from core.errors import (
    RACE_MESSAGE,
    InvalidInput,
    NotAllowed,
    NotFound,
    StateConflict,
    add_domain_error,
    page_refusal,
)
from kpi.returns import ReturnRejected


def handled(exc: Exception) -> tuple[int, object]:
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_invalid_input_is_400_with_messages_by_field():
    error = InvalidInput({"reason": ["Say why."], "date": ["Too early.", "A Sunday."]})
    assert handled(error) == (400, {"reason": ["Say why."], "date": ["Too early.", "A Sunday."]})


def test_not_allowed_is_403_with_detail():
    assert handled(NotAllowed("Only navigators send packages.")) == (
        403,
        {"detail": "Only navigators send packages."},
    )


def test_not_found_is_404_with_detail():
    assert handled(NotFound("No ward request 7")) == (404, {"detail": "No ward request 7"})


def test_state_conflict_is_409_with_detail():
    assert handled(StateConflict("Package PKG-1 is already awarded.")) == (
        409,
        {"detail": "Package PKG-1 is already awarded."},
    )


def test_a_refused_kpi_return_keeps_its_own_400_body():
    """API.md: row numbers stay numbers, and the counts come with them."""
    error = ReturnRejected(
        [RowError(2, "actual_end", "the visit ends before it starts")], error_count=3, bad_rows=2
    )
    status, body = handled(error)
    assert status == 400
    assert body == {
        "rows": [
            {
                "row": 2,
                "errors": [{"column": "actual_end", "message": "the visit ends before it starts"}],
            }
        ],
        "error_count": 3,
        "bad_rows": 2,
        "detail": error.summary(),
    }


def test_a_model_validation_error_is_400_by_field_or_detail():
    assert handled(DjangoValidationError({"hours_per_week": ["Too few."]})) == (
        400,
        {"hours_per_week": ["Too few."]},
    )
    assert handled(DjangoValidationError("Not like that.")) == (400, {"detail": ["Not like that."]})


def test_an_integrity_error_is_a_409_race():
    assert handled(IntegrityError("duplicate key")) == (409, {"detail": RACE_MESSAGE})


def test_djangos_permission_denied_and_404_answer_as_drf_does():
    assert handled(PermissionDenied("Only contract managers.")) == (
        403,
        {"detail": "Only contract managers."},
    )
    assert handled(Http404("gone"))[0] == 404


def test_any_other_exception_is_left_to_fail_loudly():
    assert exception_handler(RuntimeError("a bug"), {}) is None


class CancelForm(forms.Form):
    on = forms.DateField(required=False)
    reason = forms.CharField(required=False)


def bound() -> CancelForm:
    form = CancelForm({"on": "", "reason": ""})
    assert form.is_valid()
    return form


def test_the_page_helper_puts_field_messages_beside_their_fields_the_rest_above():
    form = bound()
    add_domain_error(
        form,
        InvalidInput({"date": ["Before the award."], "reason": ["Say why."], "x": ["Other."]}),
        fields={"date": "on"},
    )
    assert form.errors == {
        "on": ["Before the award."],
        "reason": ["Say why."],
        "__all__": ["Other."],
    }


def test_the_page_helper_puts_a_state_conflict_and_a_race_above_the_form():
    form = bound()
    add_domain_error(form, StateConflict("Already awarded."))
    add_domain_error(form, IntegrityError("duplicate key"))
    assert form.non_field_errors() == ["Already awarded.", RACE_MESSAGE]


def test_the_page_helper_raises_what_is_no_domain_error():
    with pytest.raises(RuntimeError):
        add_domain_error(bound(), RuntimeError("a bug"))


def test_a_page_shows_a_refusal_one_way_fields_on_the_form_the_rest_above():
    """page_refusal: field messages onto the form (''), a state conflict or a lost race as the
    sentence above the page, field messages with no form joined into that sentence."""
    form = bound()
    assert page_refusal(form, InvalidInput({"reason": ["Say why."]})) == ""
    assert form.errors["reason"] == ["Say why."]
    assert page_refusal(form, StateConflict("Already awarded.")) == "Already awarded."
    assert page_refusal(None, IntegrityError("duplicate key")) == RACE_MESSAGE
    assert page_refusal(None, InvalidInput({"a": ["One."], "b": ["Two."]})) == "One. Two."
    with pytest.raises(KeyError):
        page_refusal(form, KeyError("a bug, not a refusal"))
