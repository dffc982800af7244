"""Forms for the brokerage pages, on the one GOV.UK form base (`core.forms`).

The forms only parse and check what a person typed; the services (`services/`) decide what the
package's or offer's state allows.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from core.forms import GovukDateField, GovukForm, GovukModelForm, ManyOptionsSelect
from wards.models import Ward

from .models import (
    CarerGender,
    DeclineReason,
    Package,
    PlacementResponse,
    ServiceLevel,
    Urgency,
    normalise_postcode,
)


class WardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, ward: Ward) -> str:
        return f"{ward.name}, {ward.district} ({ward.code})"


PACKAGE_REQUIRED = {
    "reference": "Enter the package reference",
    "ward": "Choose the ward",
    "postcode": "Enter the postcode",
    "service_level": "Choose the service level",
    "hours_per_week": "Enter the hours of care a week",
    "call_pattern": "Enter the call pattern",
    "carer_gender": "Choose a carer-gender preference",
    "urgency": "Choose whether the package is urgent",
    "start_date": "Enter the wanted start date",
    "needs_summary": "Enter a summary of the person's needs",
}


class PackageForm(GovukModelForm):
    """P1: a package's details, and the personal details only the awarded provider will see (A3)."""

    ward = WardChoiceField(
        queryset=Ward.objects.order_by("district", "name"),
        to_field_name="code",
        empty_label="Choose a ward",
        error_messages={"invalid_choice": "Choose a ward from the list"},
        # Over 200 wards: static/js/select-autocomplete.js turns the select into a type-ahead.
        widget=ManyOptionsSelect(attrs={"data-portal-autocomplete": "ward"}),
    )
    hours_per_week = forms.DecimalField(
        label="Hours of care a week",
        min_value=Decimal("0.25"),
        max_value=Decimal("168"),
        decimal_places=2,
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-4", "inputmode": "decimal"}
        ),
        error_messages={
            "invalid": "Hours of care a week must be a number, like 10 or 7.5",
            "min_value": "Hours of care a week must be at least 0.25",
            "max_value": "Hours of care a week cannot be more than 168",
            "max_decimal_places": "Hours of care a week can have at most 2 decimal places",
        },
    )
    start_date = GovukDateField(label="Wanted start date")

    class Meta:
        model = Package
        fields = list(Package.WRITABLE_FIELDS)
        labels = {
            "reference": "Package reference",
            "carer_gender": "Carer-gender preference",
            "needs_summary": "Summary of needs",
            "person_name": "Person's name",
            "full_details": "Full details and care plan notes",
        }
        help_texts = {
            "reference": "The reference from the case record, such as ASC-2026-0142.",
            "postcode": "Providers see only the district (such as PR1) until the package is awarded.",
            "call_pattern": "For example, 4 calls a day, 30 minutes each.",
            "needs_summary": "What providers need to decide whether they can help. Do not include the person's name or address.",
            "address": "Only the provider awarded the package sees this.",
            "full_details": "Only the provider awarded the package sees this.",
        }
        widgets = {
            "reference": forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"}),
            "postcode": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "autocomplete": "off"}
            ),
            "service_level": forms.RadioSelect,
            "carer_gender": forms.RadioSelect,
            "urgency": forms.RadioSelect,
            "call_pattern": forms.TextInput(attrs={"class": "govuk-input"}),
            "needs_summary": forms.Textarea(attrs={"rows": 5}),
            "person_name": forms.TextInput(attrs={"class": "govuk-input govuk-!-width-two-thirds"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "full_details": forms.Textarea(attrs={"rows": 5}),
        }
        error_messages = {
            "reference": {"unique": "A package with this reference already exists"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Radios list the real choices only: no "---------" blank option.
        self.fields["service_level"].choices = ServiceLevel.choices
        self.fields["carer_gender"].choices = CarerGender.choices
        self.fields["urgency"].choices = Urgency.choices
        for name, message in PACKAGE_REQUIRED.items():
            self.fields[name].error_messages["required"] = message
        if self.instance.pk:
            # The select's values are ward codes, not primary keys.
            self.initial["ward"] = self.instance.ward.code

    def clean_postcode(self) -> str:
        try:
            return normalise_postcode(self.cleaned_data["postcode"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc).rstrip(".")) from exc

    def package_fields(self) -> dict:
        """The cleaned values, as `package_create` and `package_update` take them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class WithdrawForm(GovukForm):
    reason = forms.CharField(
        label="Why is the package being withdrawn?",
        help_text="For example, the person has gone into residential care. Branches that answered are told.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the package is withdrawn"},
    )


class CancelForm(GovukForm):
    cancelled_on = GovukDateField(
        label="Date the package was cancelled",
        error_messages={"required": "Enter the date the package was cancelled"},
    )
    reason = forms.CharField(
        label="Why was the package cancelled?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the package is cancelled"},
    )
    doorstep = forms.BooleanField(
        label="Cancelled on the doorstep after the assessment visit",
        required=False,
    )


class EndForm(GovukForm):
    """P2: care finished as planned, with the day it ended and why (no claim)."""

    ended_on = GovukDateField(
        label="Date the care ended",
        error_messages={"required": "Enter the date the care ended"},
    )
    reason = forms.CharField(
        label="Why did the care end?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the care ended"},
    )


RESPONSE_CHOICES = [
    (PlacementResponse.OFFER_MADE.value, PlacementResponse.OFFER_MADE.label),
    (PlacementResponse.UNABLE_TO_ACCEPT.value, PlacementResponse.UNABLE_TO_ACCEPT.label),
]


class RespondForm(GovukForm):
    """P8: Offer Made with a start date and an optional note, or Unable to Accept with a reason."""

    response = forms.ChoiceField(
        label="Can you take this package?",
        choices=RESPONSE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose Offer Made or Unable to Accept"},
    )
    start_date = GovukDateField(label="Date you can start", required=False)
    offer_note = forms.CharField(
        label="Note (optional)",
        required=False,
        help_text="For example, other people you already support nearby.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.ChoiceField(
        label="Why can you not accept it?",
        choices=DeclineReason.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    decline_note = forms.CharField(
        label="More about why",
        required=False,
        help_text="Needed if you choose Other.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def initial_for(cls, offer) -> dict:
        """The branch's current answer, so it can change it while the window is open."""
        made = offer.placement_response == PlacementResponse.OFFER_MADE
        declined = offer.placement_response == PlacementResponse.UNABLE_TO_ACCEPT
        return {
            "response": offer.placement_response if made or declined else None,
            "start_date": offer.offered_start_date,
            "offer_note": offer.note if made else "",
            "reason": offer.reason,
            "decline_note": offer.note if declined else "",
        }

    def clean(self):
        data = super().clean()
        response = data.get("response")
        no_start = not data.get("start_date") and "start_date" not in self.errors
        if response == PlacementResponse.OFFER_MADE and no_start:
            self.add_error("start_date", "Enter the date you can start")
        if response == PlacementResponse.UNABLE_TO_ACCEPT:
            if not data.get("reason"):
                self.add_error("reason", "Choose why you cannot accept the package")
            elif data["reason"] == DeclineReason.OTHER and not data.get("decline_note", "").strip():
                self.add_error("decline_note", "Say what the other reason is")
        return data

    def service_kwargs(self) -> dict:
        """What `offer_respond` takes, keeping only the fields of the chosen answer."""
        data = self.cleaned_data
        if data["response"] == PlacementResponse.OFFER_MADE:
            return {
                "response": data["response"],
                "start_date": data["start_date"],
                "note": data["offer_note"],
            }
        return {
            "response": data["response"],
            "reason": data["reason"],
            "note": data["decline_note"],
        }

    FIELD_FOR_SERVICE_ERROR = {
        "start_date": "start_date",
        "reason": "reason",
        "response": "response",
    }

    def service_error_fields(self) -> dict[str, str]:
        """Which input shows each of the service's fields (for `page_refusal`): the note is the
        one under the chosen answer."""
        note_field = (
            "offer_note"
            if self.cleaned_data.get("response") == PlacementResponse.OFFER_MADE
            else "decline_note"
        )
        return {**self.FIELD_FOR_SERVICE_ERROR, "note": note_field}


class CapacityForm(GovukForm):
    """P12: the last day the branch has no capacity and why; the service checks the 28 days."""

    until = GovukDateField(
        label="Last day with no capacity",
        error_messages={"required": "Enter the last day with no capacity"},
    )
    note = forms.CharField(
        label="Why has the branch no capacity?",
        help_text="Navigators see this note. For example, two carers are off sick until the 20th.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the branch has no capacity"},
    )
