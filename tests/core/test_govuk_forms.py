"""The one GOV.UK form base (core.forms) and the one error summary (templates/includes/
error_summary.html): each message links to the input to fix, and the inputs say they are wrong."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.template.loader import render_to_string

from core.forms import GovukDateField, GovukForm, error_links


class Example(GovukForm):
    name = forms.CharField(help_text="As on the contract.")
    when = GovukDateField(label="Start date")
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    wards = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple
    )
    file = forms.FileField()
    note = forms.CharField(widget=forms.Textarea)

    def clean(self):
        self.add_error(None, "Something about the whole form")
        return super().clean()


@pytest.fixture
def invalid() -> Example:
    form = Example(data={"when-day": "31", "when-month": "2", "when-year": "2026"})
    assert not form.is_valid()
    return form


def test_each_message_links_to_the_input_to_fix(invalid):
    anchors = [anchor for anchor, _ in invalid.error_links]
    assert anchors == [
        "id_name",  # the form-wide error goes to the first field
        "id_name",
        "id_when-day",  # a date: its day box
        "id_kind_0",  # radios and checkboxes: the first option
        "id_wards_0",
        "id_file",
        "id_note",
    ]
    assert ("id_when-day", "Start date must be a real date") in invalid.error_links


def test_inputs_carry_the_govuk_classes_and_their_hint_and_error(invalid):
    assert (
        invalid.fields["file"].widget.attrs["class"] == "govuk-file-upload govuk-file-upload--error"
    )
    assert invalid.fields["note"].widget.attrs["class"] == "govuk-textarea govuk-textarea--error"
    assert invalid.fields["name"].widget.attrs["aria-describedby"] == "id_name-hint id_name-error"


def test_any_django_form_gets_links_too():
    form = AuthenticationForm(data={"username": "", "password": ""})
    assert not form.is_valid()
    assert [anchor for anchor, _ in error_links(form)] == ["id_username", "id_password"]
    assert error_links(None) == [] and error_links("") == []


def test_the_summary_shows_only_with_something_to_show(invalid):
    assert "govuk-error-summary" not in render_to_string("includes/error_summary.html", {})
    html = render_to_string("includes/error_summary.html", {"form": invalid})
    assert "There is a problem" in html
    assert '<a href="#id_when-day">Start date must be a real date</a>' in html


def test_the_summary_links_a_problem_and_file_rows():
    html = render_to_string(
        "includes/error_summary.html",
        {
            "problem": "The start date must be on or before the end date",
            "problem_anchor": "from",
            "error_rows": [{"row": 2, "column": "ward_code", "message": "no such ward"}],
        },
    )
    assert '<a href="#from">The start date must be on or before the end date</a>' in html
    assert '<a href="#row-error-1">Row 2, ward_code: no such ward</a>' in html
