"""KPI forms; the services do the checking that needs the database."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from brokerage.forms import GovukForm
from providers.models import Provider

from .models import ActionPlanStatus, RiskLevel
from .quarters import Quarter

RETURN_QUARTERS = 8


def ended_quarter_choices(now=None) -> list[tuple[str, str]]:
    """The last few ended quarters, newest first (K5: only ended quarters can be returned)."""
    quarter = Quarter.containing(now or timezone.now()).previous()
    out = []
    for _ in range(RETURN_QUARTERS):
        out.append((str(quarter), f"{quarter} ({quarter.label()})"))
        quarter = quarter.previous()
    return out


class QuarterField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return Quarter.parse(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ReturnUploadForm(GovukForm, forms.Form):
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        to_field_name="ref",
        empty_label="Choose a provider",
        help_text="The provider this return is for.",
    )
    quarter = forms.ChoiceField(label="Quarter")
    file = forms.FileField(
        label="Visit file (CSV or XLSX)",
        widget=forms.ClearableFileInput(
            attrs={"class": "govuk-file-upload", "accept": ".csv,.xlsx"}
        ),
        help_text="Columns visit_ref, service_user_ref, planned_start, planned_minutes, "
        "actual_start, actual_end. Times as day/month/year and 24-hour time, such as "
        "01/04/2026 09:30, or in ISO 8601, such as 2026-04-01T09:30; UK time unless an offset is "
        "given. Leave both actual times empty for a missed visit.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = ended_quarter_choices()
        if user.is_provider_user:
            del self.fields["provider"]
        else:
            self.fields["provider"].queryset = Provider.objects.all()

    def clean_quarter(self):
        return Quarter.parse(self.cleaned_data["quarter"])


class ResetForm(GovukForm, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit trail, e.g. the improvement plan agreed.",
    )


class DiscountedQuarterForm(GovukForm, forms.Form):
    quarter = QuarterField(help_text="Such as 2025-26-Q1.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class FirstDueForm(GovukForm, forms.Form):
    provider = forms.ModelChoiceField(queryset=Provider.objects.all(), to_field_name="ref")
    quarter = QuarterField(
        required=False, help_text="Leave empty to go back to the first full quarter after joining."
    )
    reason = forms.CharField(required=False)


class RiskProfileForm(GovukForm, forms.Form):
    level = forms.ChoiceField(choices=RiskLevel.choices, widget=forms.RadioSelect)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))


class ActionPlanForm(GovukForm, forms.Form):
    action = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label="Due by", help_text="For example, 30/09/2026 or 2026-09-30.")


class ActionPlanStatusForm(GovukForm, forms.Form):
    status = forms.ChoiceField(choices=ActionPlanStatus.choices)
