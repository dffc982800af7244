"""The review pages' forms on the one GOV.UK form base (`core.forms`): they parse what a person
typed; `services.review_answers` checks the answers against the package, and the services decide
what the review's state allows."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from core.forms import GovukDateField, GovukForm

HOURS_WIDGET = {"class": "govuk-input govuk-input--width-4", "inputmode": "decimal"}


def hours_field(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=Decimal(168),
        decimal_places=2,
        widget=forms.TextInput(attrs=HOURS_WIDGET),
        error_messages={
            "required": f"Enter the {label.lower()}",
            "invalid": f"{label} must be a number, like 10 or 7.5",
            "min_value": f"{label} cannot be less than 0",
            "max_value": f"{label} cannot be more than 168",
            "max_decimal_places": f"{label} can have at most 2 decimal places",
        },
        **kwargs,
    )


class DelegateForm(GovukForm):
    """R1: one package's review (by its reference), due on a date."""

    package = forms.CharField(
        label="Package reference",
        max_length=40,
        error_messages={"required": "Enter the package reference"},
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-20", "spellcheck": "false"}
        ),
    )
    due_on = GovukDateField(
        label="Date the review is due",
        error_messages={"required": "Enter the date the review is due"},
    )


class DelegateDueForm(GovukForm):
    """R1: all of a provider's packages due a review, due on a date."""

    provider = forms.CharField(widget=forms.HiddenInput)
    due_on = GovukDateField(
        label="Date the reviews are due",
        error_messages={"required": "Enter the date the reviews are due"},
    )


class ReviewForm(GovukForm):
    """R2: the review form. The current hours are prefilled with the package's."""

    current_hours = hours_field(
        "Current hours a week", help_text="The hours the council commissions now."
    )
    proposed_hours = hours_field(
        "Proposed hours a week", help_text="The same as now for no change."
    )
    outcomes = forms.CharField(
        label="Outcomes of the review",
        help_text="You can paste them from your own review document.",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=50000,
        error_messages={
            "required": "Enter the review's outcomes",
            "max_length": "The outcomes must be 50,000 characters or fewer",
        },
    )
    capacity_concern = forms.BooleanField(
        label="I have a concern about the person's mental capacity",
        required=False,
    )
