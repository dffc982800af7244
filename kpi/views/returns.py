"""K5: quarterly KPI returns: list, upload, the computed figures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.errors import add_domain_error
from providers.models import Provider

from .. import services
from ..forms import ReturnProviderForm, ReturnUploadForm
from ..models import (
    KpiReturn,
    KpiReturnUpload,
    KpiSettings,
    UploadState,
)
from ..permissions import may_make_returns, may_read_returns_and_triggers
from ..returns import ReturnRejected
from .common import (
    PAGE_SIZE,
)

# --- K5: returns -------------------------------------------------------------------------------


@login_required
def return_list(request: HttpRequest) -> HttpResponse:
    if not may_read_returns_and_triggers(request.user):
        raise PermissionDenied
    returns = KpiReturn.objects.visible_to(request.user).select_related("provider", "submitted_by")
    page = Paginator(returns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "kpi/return_list.html",
        {"page": page, "may_upload": may_make_returns(request.user), "rules": KpiSettings.load()},
    )


def _return_provider(request: HttpRequest) -> tuple[Provider | None, ReturnProviderForm | None]:
    """The provider a return is for: a provider user's own; for a contract manager, the one
    chosen (`provider` in the query or the posted form), with the chooser form to show."""
    if request.user.is_provider_user:
        return request.user.provider, None
    data = request.POST if request.method == "POST" else request.GET
    chooser = ReturnProviderForm(data if "provider" in data else None)
    if chooser.is_bound and chooser.is_valid():
        return chooser.cleaned_data["provider"], chooser
    return None, chooser


@login_required
def return_upload(request: HttpRequest) -> HttpResponse:
    """K5, K6: the quarters the provider owes, oldest first and chosen, each with its due date;
    the upload; and, if the file is refused, every bad row."""
    user = request.user
    if not may_make_returns(user):
        raise PermissionDenied
    provider, chooser = _return_provider(request)
    owed = services.returns_owed(provider) if provider else None
    posted = request.method == "POST" and provider is not None
    form = ReturnUploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        owed=owed.owed if owed else [],
    )
    rejected = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            received = services.kpi_return_receive(
                actor=user,
                provider=provider,
                quarter=form.cleaned_data["quarter"],
                file=upload,
                file_name=upload.name,
            )
        except ReturnRejected as exc:
            rejected = exc
        except services.KpiError as exc:
            add_domain_error(form, exc)
        else:
            if isinstance(received, KpiReturnUpload):  # a large file: read by the worker
                return redirect("kpi:return-upload-status", pk=received.pk)
            messages.success(request, f"Return for {received.quarter} received.")
            return redirect("kpi:return", pk=received.pk)
    return render(
        request,
        "kpi/return_upload.html",
        {
            "form": form if provider else chooser,
            "upload": form,
            "chooser": chooser,
            "provider": provider,
            "owed": owed,
            "rejected": rejected,
            "rules": KpiSettings.load(),
        },
    )


@login_required
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kpi_return = get_object_or_404(
        KpiReturn.objects.visible_to(request.user).select_related("provider", "submitted_by"), pk=pk
    )
    quarter = kpi_return.quarter_obj
    rules = KpiSettings.load()
    return render(
        request,
        "kpi/return_detail.html",
        {
            "r": kpi_return,
            "quarter": quarter,
            "due": quarter.due_date(rules.return_due_days),
            "rules": rules,
        },
    )


@login_required
def return_upload_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A large visit file being read by the worker (K5, issue 14.2): how far it has got, then the
    return (a redirect to it) or the file's row errors. Asked with Accept: application/json (the
    page's script, every two seconds) it answers {state, rows_read, finished}."""
    upload = get_object_or_404(
        KpiReturnUpload.objects.visible_to(request.user).select_related("provider"), pk=pk
    )
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {"state": upload.state, "rows_read": upload.rows_read, "finished": upload.finished}
        )
    if upload.state == UploadState.RECEIVED:
        return redirect("kpi:return", pk=upload.kpi_return_id)
    return render(
        request,
        "kpi/return_upload_status.html",
        {"upload": upload, "rejected": services.upload_rejection(upload)},
    )
