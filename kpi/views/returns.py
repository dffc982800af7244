"""K5: quarterly KPI returns: list, upload, the computed figures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .. import services
from ..forms import (
    ReturnUploadForm,
)
from ..models import (
    KpiReturn,
    KpiSettings,
)
from ..returns import ReturnRejected
from .common import (
    COUNCIL_KPI,
    PAGE_SIZE,
)

# --- K5: returns -------------------------------------------------------------------------------


def _may_make_returns(user) -> bool:
    return user.is_provider_user or user.has_role(*COUNCIL_KPI)


@login_required
def return_list(request: HttpRequest) -> HttpResponse:
    if not (_may_make_returns(request.user) or request.user.is_council):
        raise PermissionDenied
    returns = KpiReturn.objects.visible_to(request.user).select_related("provider", "submitted_by")
    page = Paginator(returns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "kpi/return_list.html",
        {"page": page, "may_upload": _may_make_returns(request.user), "rules": KpiSettings.load()},
    )


@login_required
def return_upload(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_make_returns(user):
        raise PermissionDenied
    form = ReturnUploadForm(request.POST or None, request.FILES or None, user=user)
    rejected = None
    if request.method == "POST" and form.is_valid():
        provider = user.provider if user.is_provider_user else form.cleaned_data["provider"]
        upload = form.cleaned_data["file"]
        try:
            kpi_return = services.kpi_return_submit(
                actor=user,
                provider=provider,
                quarter=form.cleaned_data["quarter"],
                file=upload,
                file_name=upload.name,
            )
        except ReturnRejected as exc:
            rejected = exc
        except services.KpiError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Return for {kpi_return.quarter} received.")
            return redirect("kpi:return", pk=kpi_return.pk)
    return render(
        request,
        "kpi/return_upload.html",
        {"form": form, "rejected": rejected, "rules": KpiSettings.load()},
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
