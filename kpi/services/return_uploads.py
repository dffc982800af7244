"""K5 within bounds (issue 14.2): a visit file over the upload limits is refused before it is
parsed; a small one is read in the request; a larger one is kept and read by a Celery task, which
reports its progress and then the return or the file's row errors."""

from __future__ import annotations

import io
from datetime import datetime
from typing import IO

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.csvio import RowError
from core.uploads import file_size
from providers.models import Provider, User

from ..models import KpiReturn, KpiReturnUpload, UploadState
from ..quarters import Quarter
from ..returns import ReturnRejected, check_return_file
from .errors import KpiError
from .returns import check_quarter_open, kpi_return_submit

READ_TASK = "kpi.tasks.read_kpi_return_task"


def kpi_return_receive(
    *, file: IO, file_name: str = "", **submission
) -> KpiReturn | KpiReturnUpload:
    """K5 within the upload limits: a file over them is refused at once (ReturnRejected, nothing
    parsed); a small one (up to KPI_RETURN_INLINE_MAX_BYTES) is read now and its KpiReturn returned;
    a larger one is kept and read by a Celery task, and its KpiReturnUpload returned to poll.
    `submission` is `kpi_return_submit`'s: actor, provider, quarter and optionally now."""
    check_return_file(file, file_name)
    small = file_size(file) <= settings.KPI_RETURN_INLINE_MAX_BYTES
    read = kpi_return_submit if small else kpi_return_queue
    return read(file=file, file_name=file_name, **submission)


def kpi_return_queue(
    *,
    actor: User,
    provider: Provider,
    quarter: Quarter,
    file: IO,
    file_name: str = "",
    now: datetime | None = None,
) -> KpiReturnUpload:
    """Keep the file and queue it to be read (the quarter is checked now, as for a small file)."""
    now = now or timezone.now()
    check_quarter_open(provider, quarter, now)
    file.seek(0)
    content = file.read()
    with transaction.atomic():
        upload = KpiReturnUpload.objects.create(
            provider=provider,
            quarter=str(quarter),
            submitted_at=now,
            submitted_by=actor,
            file_name=file_name[:255],
            size=len(content),
            content=content,
        )
        transaction.on_commit(lambda: _queue_read(upload.pk))
    return upload


def _queue_read(upload_id: int) -> None:
    # By name, so that services never import tasks (tasks import services).
    current_app.signature(READ_TASK, args=(upload_id,)).delay()


def kpi_return_read(*, upload_id: int) -> str:
    """Read a queued upload (the task's work): claim it, tally its rows with progress, then save
    the return or the row errors. Safe to run twice: a finished upload is left alone, and only the
    run that still holds it as `reading` records the outcome."""
    claimed = KpiReturnUpload.objects.filter(
        pk=upload_id, state__in=[UploadState.QUEUED, UploadState.READING]
    ).update(state=UploadState.READING)
    if not claimed:
        return "already read"
    upload = KpiReturnUpload.objects.select_related("provider", "submitted_by").get(pk=upload_id)
    reading = KpiReturnUpload.objects.filter(pk=upload_id, state=UploadState.READING)

    def progress(rows: int) -> None:
        reading.update(rows_read=rows)

    finished = {"content": b"", "finished_at": timezone.now()}
    try:
        kpi_return = kpi_return_submit(
            actor=upload.submitted_by,
            provider=upload.provider,
            quarter=Quarter.parse(upload.quarter),
            file=io.BytesIO(bytes(upload.content)),
            file_name=upload.file_name,
            now=upload.submitted_at,
            progress=progress,
        )
    except ReturnRejected as exc:
        reading.update(
            state=UploadState.REFUSED,
            errors=[e.as_dict() for e in exc.errors],
            error_count=exc.error_count,
            bad_rows=exc.bad_rows,
            detail=exc.summary(),
            **finished,
        )
        return "refused"
    except KpiError as exc:
        reading.update(state=UploadState.REFUSED, detail=str(exc), **finished)
        return "refused"
    reading.update(
        state=UploadState.RECEIVED, kpi_return=kpi_return, rows_read=kpi_return.visits, **finished
    )
    return "received"


def upload_rejection(upload: KpiReturnUpload) -> ReturnRejected | None:
    """A refused upload's errors as the ReturnRejected the page and API show (None otherwise)."""
    if upload.state != UploadState.REFUSED:
        return None
    errors = [RowError(**e) for e in upload.errors] or [RowError(0, "", upload.detail)]
    return ReturnRejected(
        errors, error_count=upload.error_count or len(errors), bad_rows=upload.bad_rows
    )
