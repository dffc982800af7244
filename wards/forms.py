"""Forms for the ward pages, drawn as GOV.UK Design System components. They parse what a person
chose; the services decide what the register and the requests allow."""

from __future__ import annotations

from django import forms

from core.forms import GovukForm
from providers.models import Branch

from .models import Ward, WardRequestAction


class BranchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, branch: Branch) -> str:
        return f"{branch.name} ({branch.ref})"


class WardChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, ward: Ward) -> str:
        return f"{ward.name}, {ward.district}"


class WardRequestForm(GovukForm):
    """Ask to add or remove several wards for one branch, with one reason (W3)."""

    branch = BranchChoiceField(
        queryset=Branch.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose the branch", "invalid_choice": "Choose the branch"},
    )
    action = forms.ChoiceField(
        label="What do you want to change?",
        choices=[
            (WardRequestAction.ADD, "Add wards the branch will cover"),
            (WardRequestAction.REMOVE, "Remove wards the branch covers now"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose add or remove"},
    )
    district = forms.CharField(required=False, widget=forms.HiddenInput)
    wards = WardChoices(
        queryset=Ward.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one ward",
            "invalid_choice": "Choose wards from the list",
            "invalid_pk_value": "Choose wards from the list",
        },
    )
    reason = forms.CharField(
        label="Why do you want this change?",
        help_text="For example, where your carers live and the calls you can reach.",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why you want this change"},
    )

    def __init__(self, *args, branches, wards=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["wards"].queryset = wards if wards is not None else Ward.objects.none()


class DecisionForm(GovukForm):
    """Approve or reject one or many pending requests, with a comment (W3)."""

    requests = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one request",
            "invalid_choice": "Choose requests from the list",
        },
    )
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        error_messages={"required": "Choose approve or reject"},
    )
    comment = forms.CharField(
        label="Comment for the provider",
        help_text="Needed when you reject: the provider sees it.",
        required=False,
        widget=forms.Textarea,
        max_length=2000,
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        # Any visible request, not only pending ones: deciding one that someone else decided
        # meanwhile reaches the service, which refuses it saying who decided it and when.
        self.fields["requests"].queryset = choices

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say why you reject: the provider will see it")
        return data


class ImportForm(GovukForm):
    """Upload the wards or the register as CSV (W4)."""

    kind = forms.ChoiceField(
        label="What are you importing?",
        choices=[
            ("wards", "Wards: ward_code,ward_name,district"),
            (
                "register",
                "Ward register: provider_ref,provider_name,branch_ref,branch_name,ward_code",
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose wards or ward register"},
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row. Nothing is imported if any row is wrong.",
        error_messages={"required": "Choose a CSV file", "empty": "The file is empty"},
    )
    note = forms.CharField(
        label="Note on the register version (optional)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
