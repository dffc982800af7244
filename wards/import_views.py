"""The contract managers' upload page for the wards and register CSV files (W4): all or nothing,
every bad row listed on the page (row, column, message) and nothing saved."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.csvio import ImportRejected, RowError
from providers.models import User

from .forms import ImportForm
from .permissions import may_import_register
from .services import register_import, wards_import


def _run(kind: str, upload: UploadedFile, actor: User, note: str) -> str:
    """Import the upload; returns what to tell the person. Raises ImportRejected."""
    if kind == "wards":
        result = wards_import(source=upload, actor=actor)
        return (
            f"Wards imported: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
    result = register_import(source=upload, actor=actor, note=note or "Register uploaded")
    version = result.version
    published = (
        f"Register v{version.number} published ({version.added} added, {version.removed} removed)."
        if version
        else "The register already matched the file: no new version."
    )
    return (
        f"Register imported: {result.providers_created} providers and "
        f"{result.branches_created} branches created. {published}"
    )


@login_required
def register_upload(request: HttpRequest) -> HttpResponse:
    if not may_import_register(request.user):
        raise PermissionDenied("Only contract managers import the wards and the register.")
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    row_errors: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            done = _run(form.cleaned_data["kind"], upload, request.user, form.cleaned_data["note"])
        except ImportRejected as rejected:
            row_errors = rejected.errors
        except (UnicodeDecodeError, csv.Error):
            form.add_error("file", "The file must be a UTF-8 CSV file")
        else:
            messages.success(request, done)
            return redirect("wards:register-versions")
    context = {"form": form, "row_errors": row_errors}
    return render(request, "wards/import.html", context)
