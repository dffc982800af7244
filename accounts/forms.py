"""Account forms (issue 14.6), on the one GOV.UK form base."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.db import transaction
from django.template import loader

from core.forms import GovukForm, GovukFormMixin
from notifications.models import NotificationKind
from notifications.outbox import Outgoing, notifications_enqueue

from .models import PasswordResetRequest


class CodeForm(GovukForm):
    code = forms.CharField(
        label="Code",
        max_length=12,
        help_text="Numbers only, for example 123456. The app shows a new code every 30 seconds.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "govuk-input govuk-input--width-10",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("Enter the 6-digit code, numbers only")
        return code


class TokenForm(GovukForm):
    name = forms.CharField(
        label="Token name",
        max_length=80,
        help_text="What uses it, so you can tell your tokens apart, for example: Care system.",
    )


class GovukPasswordChangeForm(GovukFormMixin, PasswordChangeForm):
    pass


class GovukSetPasswordForm(GovukFormMixin, SetPasswordForm):
    pass


class OutboxPasswordResetForm(GovukFormMixin, PasswordResetForm):
    """Django's reset form, its e-mail recorded in the outbox (P7) and sent by a worker, retried
    like every other e-mail; the body (which holds the link) is cleared once it is sent."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        with transaction.atomic():
            request = PasswordResetRequest.objects.create(user=context["user"])
            notifications_enqueue(
                [
                    Outgoing(
                        about=request,
                        kind=NotificationKind.PASSWORD_RESET,
                        to=[to_email],
                        subject=subject,
                        body=body,
                    )
                ]
            )
