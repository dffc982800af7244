"""The award forms (L2): the offer chosen, the feedback for the others, and the reason needed to
award any offer but the top-ranked one (the service decides when it is needed)."""

from __future__ import annotations

from django import forms

from core.forms import GovukForm


class AwardForm(GovukForm):
    offer = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": "Choose the offer to award"}
    )
    feedback = forms.CharField(
        label="Feedback for the branches not chosen (optional)",
        help_text="They see it with their Not Awarded outcome. For example: another provider offered an earlier start.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(
        label="Why this offer rather than the top-ranked one",
        help_text="Needed when the offer is not ranked first. Recorded, and shown to the other branches.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
