"""KPI forms; the services do the checking that needs the database."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from core.forms import GovukForm, ManyOptionsSelect
from providers.models import Provider

from .models import ActionPlanStatus, RiskLevel
from .quarters import Quarter
from .services import OwedReturn


class QuarterField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return Quarter.parse(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ProviderChoiceField(forms.ModelChoiceField):
    """Every provider on the framework by name, each shown with its reference (two may share a
    name), typed ahead (`data-portal-autocomplete`: a national market has thousands)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_label", "Choose a provider")
        kwargs.setdefault(
            "error_messages",
            {
                "required": "Select the provider",
                "invalid_choice": "Select a provider from the list",
            },
        )
        super().__init__(
            queryset=Provider.objects.order_by("name", "ref"),
            to_field_name="ref",
            widget=ManyOptionsSelect(attrs={"data-portal-autocomplete": "provider"}),
            **kwargs,
        )

    def label_from_instance(self, obj: Provider) -> str:
        return f"{obj.name} ({obj.ref})"


class ReturnProviderForm(GovukForm):
    """A contract manager making a return for a provider chooses the provider first, so that the
    quarters offered are the ones that provider owes (K6)."""

    provider = ProviderChoiceField(label="Which provider is this return for?")


class ReturnUploadForm(GovukForm):
    """K5, K6: the quarter (one the provider owes: `owed`, oldest first and chosen) and the file."""

    quarter = forms.ChoiceField(
        label="Which quarter is this return for?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the quarter",
            "invalid_choice": "Select a quarter you owe a return for",
        },
    )
    file = forms.FileField(
        label="Visit file (CSV or XLSX)",
        widget=forms.ClearableFileInput(
            attrs={"class": "govuk-file-upload", "accept": ".csv,.xlsx"}
        ),
        help_text="Columns visit_ref, service_user_ref, planned_start, planned_minutes, "
        "actual_start, actual_end. Times as day/month/year and 24-hour time, such as "
        "01/04/2026 09:30, or in ISO 8601, such as 2026-04-01T09:30; UK time unless an offset is "
        "given. Leave both actual times empty for a missed visit.",
        error_messages={
            "required": "Select a visit file",
            "missing": "Select a visit file",
            "invalid": "The selected file could not be uploaded – try again",
            "empty": "The selected file is empty",
            "max_length": "The file name must be 255 characters or fewer",
        },
    )

    def __init__(self, *args, owed: list[OwedReturn], **kwargs):
        super().__init__(*args, **kwargs)
        self.owed = owed
        self.fields["quarter"].choices = [(str(o.quarter), str(o.quarter)) for o in owed]
        if owed:
            self.fields["quarter"].initial = str(owed[0].quarter)

    def clean_quarter(self):
        return Quarter.parse(self.cleaned_data["quarter"])

    def quarter_options(self) -> list[dict]:
        """Each owed quarter for the radios: its code, name, due date, and whether it is chosen."""
        chosen = self["quarter"].value()
        return [
            {"owed": o, "value": str(o.quarter), "checked": str(o.quarter) == chosen}
            for o in self.owed
        ]


class ResetForm(GovukForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit trail, e.g. the improvement plan agreed.",
    )


class DiscountedQuarterForm(GovukForm):
    """On the settings page beside `FirstDueForm`: both have a quarter and a reason, so each
    form's fields have ids of their own (one label, one field)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "discount-%s")
        super().__init__(*args, **kwargs)

    quarter = QuarterField(help_text="Such as 2025-26-Q1.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class FirstDueForm(GovukForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "first-due-%s")  # see DiscountedQuarterForm
        super().__init__(*args, **kwargs)

    provider = ProviderChoiceField()
    quarter = QuarterField(
        required=False, help_text="Leave empty to go back to the first full quarter after joining."
    )
    reason = forms.CharField(required=False)


class RiskProfileForm(GovukForm):
    level = forms.ChoiceField(choices=RiskLevel.choices, widget=forms.RadioSelect)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))


class ActionPlanForm(GovukForm):
    action = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label="Due by")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An example a few weeks ahead, worked out per form so it never shows a date gone by.
        example = timezone.localdate() + timedelta(weeks=6)
        due_on = self.fields["due_on"]
        due_on.help_text = f"For example, {example:%d/%m/%Y} or {example:%Y-%m-%d}."
        due_on.widget.attrs["aria-describedby"] = f"{self['due_on'].auto_id}-hint"


class ActionPlanStatusForm(GovukForm):
    status = forms.ChoiceField(choices=ActionPlanStatus.choices)


class ChallengeForm(GovukForm):
    """K10: why the offer's No Response is wrong."""

    reason = forms.CharField(
        label="Why is this No Response wrong?",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,  # the service says what is missing, for page and API alike
        help_text="For example, the e-mail never arrived, or you answered by phone: say when and "
        "to whom. The council's contract managers read it beside the offer's e-mail and when "
        "your branch first opened it.",
    )


class DecisionForm(GovukForm):
    """K10: the contract manager's comment, and which button was pressed."""

    DECISIONS = {"uphold": True, "reject": False}

    comment = forms.CharField(
        label="Comment for the provider",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the service says it is missing
        help_text="Sent to the provider with your decision and kept in the audit trail.",
    )
    decision = forms.ChoiceField(
        choices=[("uphold", "Uphold"), ("reject", "Reject")],
        error_messages={"required": "Choose uphold or reject"},
    )

    @property
    def uphold(self) -> bool:
        return self.DECISIONS[self.cleaned_data["decision"]]


class MarketGapsForm(GovukForm):
    """K12 on the dashboard: which quarter (of the dashboard's) and which grouping to show. A GET
    form; a bad choice is shown on it and the defaults are drawn instead."""

    gaps_quarter = forms.ChoiceField(
        label="Quarter", error_messages={"invalid_choice": "Select a valid choice of quarter"}
    )
    gaps_by = forms.ChoiceField(
        label="Count by",
        choices=[("district", "District"), ("ward", "Ward"), ("service_level", "Service level")],
        error_messages={"invalid_choice": "Select a valid choice: district, ward or service level"},
    )

    def __init__(self, *args, quarters: list[Quarter], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gaps_quarter"].choices = [(str(q), str(q)) for q in reversed(quarters)]
