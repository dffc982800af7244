"""Account pages (issue 14.6): your account (second factors, tokens, password), setting up an
authenticator app or a passkey, giving the second factor at sign-in, API tokens, password change
and reset. GOV.UK pages; writes go through `accounts.tokens` and django-otp."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from core.audit import audit_record
from core.errors import NotFound, page_refusal

from . import tokens
from .forms import (
    CodeForm,
    GovukPasswordChangeForm,
    GovukSetPasswordForm,
    OutboxPasswordResetForm,
    TokenForm,
)
from .models import ApiToken
from .policy import confirmed_devices, has_second_factor, mfa_required


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


def _devices(user) -> list[dict]:
    rows = [
        {"kind": "totp", "pk": d.pk, "name": d.name, "label": "Authenticator app"}
        for d in TOTPDevice.objects.devices_for_user(user, confirmed=True)
    ]
    rows += [
        {"kind": "passkey", "pk": d.pk, "name": d.name, "label": "Passkey"}
        for d in WebAuthnCredential.objects.filter(user=user, confirmed=True)
    ]
    return rows


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "devices": _devices(request.user),
            "required": mfa_required(request.user),
            "active_tokens": ApiToken.objects.visible_to(request.user).active().count(),
        },
    )


@login_required
def set_up(request: HttpRequest) -> HttpResponse:
    """Choose a second factor: the page someone who must have one meets first."""
    if has_second_factor(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('accounts:verify')}?next={_next(request)}")
    return render(
        request,
        "accounts/set_up.html",
        {"required": mfa_required(request.user), "next": _next(request)},
    )


def _pending_totp(user) -> TOTPDevice:
    """The authenticator being set up: one unconfirmed device, kept until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@login_required
def totp_set_up(request: HttpRequest) -> HttpResponse:
    if has_second_factor(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('accounts:verify')}?next={_next(request)}")
    device = _pending_totp(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_record(
                    actor=request.user, action="second_factor.added", obj=device,
                    after={"kind": "totp"},
                )  # fmt: skip
            otp_login(request, device)
            messages.success(
                request,
                "Your authenticator app is set up. You will be asked for a code each time you sign in.",
            )
            return redirect(_next(request) if request.POST.get("next") else "accounts:account")
        form.add_error(
            "code", "The code is wrong or has expired. Enter the code your app shows now"
        )
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app"
    )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/totp_set_up.html",
        {
            "form": form,
            "qr": qr,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next(request),
        },
    )


@login_required
def passkey_set_up(request: HttpRequest) -> HttpResponse:
    if has_second_factor(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('accounts:verify')}?next={_next(request)}")
    return render(request, "accounts/passkey_set_up.html", {"next": _next(request)})


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second factor at sign-in: a code from the app, or a passkey where the browser has one."""
    if request.user.is_verified() or not has_second_factor(request.user):
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        user_login_failed.send(
            sender=__name__, credentials={"username": request.user.get_username()}, request=request
        )
        form.add_error(
            "code", "The code is wrong or has expired. Enter the code your app shows now"
        )
    return render(
        request,
        "accounts/verify.html",
        {
            "form": form,
            "next": _next(request),
            "has_totp": TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists(),
            "has_passkey": WebAuthnCredential.objects.filter(
                user=request.user, confirmed=True
            ).exists(),
        },
    )


@require_POST
@login_required
def device_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = TOTPDevice if kind == "totp" else WebAuthnCredential
    device = model.objects.filter(user=request.user, pk=pk, confirmed=True).first()
    if device is None:
        raise Http404
    if mfa_required(request.user) and len(confirmed_devices(request.user)) <= 1:
        messages.warning(
            request,
            "You need at least one second factor. Set up another before you remove this one.",
        )
        return redirect("accounts:account")
    with transaction.atomic():
        audit_record(
            actor=request.user, action="second_factor.removed", obj=device, before={"kind": kind}
        )
        device.delete()
    messages.success(request, "Second factor removed")
    return redirect("accounts:account")


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            token, key = tokens.token_issue(user=request.user, name=form.cleaned_data["name"])
        except Exception as exc:  # noqa: BLE001 - page_refusal names domain errors, re-raises others
            problem = page_refusal(form, exc)
        else:
            request.session["new_token"] = {"id": token.pk, "key": key}
            return redirect("accounts:tokens")
    new = request.session.pop("new_token", None)
    rows = ApiToken.objects.visible_to(request.user).order_by("-created_at")[:100]
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "problem": problem,
            "tokens": rows,
            "new": new,
            "days": settings.PORTAL_API_TOKEN_DAYS,
        },
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = tokens.token_revoke(user=request.user, token_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, f"Token {token.name} revoked: it no longer signs anything in")
    return redirect("accounts:tokens")


class PasswordChange(auth_views.PasswordChangeView):
    form_class = GovukPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        update_session_auth_hash(self.request, form.user)
        messages.success(
            self.request, "Your password has been changed. Your API tokens were revoked."
        )
        return response


class PasswordReset(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-done")


class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    form_class = GovukSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")


class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
