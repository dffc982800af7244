"""A real Celery worker consumes tasks sent through Redis and writes to the database."""

import pytest
from django.utils import timezone

from core.models import JobRun
from core.tasks import heartbeat
from tests.worker import wait_for


def _heartbeat_runs() -> int:
    run = JobRun.objects.filter(name="heartbeat").first()
    return run.runs if run else 0


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_heartbeat_sent_through_redis_is_run_by_a_real_worker(celery_worker):
    before = timezone.now()

    heartbeat.apply_async(queue=celery_worker.queue)

    assert wait_for(lambda: _heartbeat_runs() >= 1, timeout=30), celery_worker.output
    run = JobRun.objects.get(name="heartbeat")
    assert run.last_finished_at >= before
    assert "core.tasks.heartbeat" in celery_worker.output


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tasks_sent_with_delay_reach_the_test_worker(celery_worker):
    heartbeat.delay()
    heartbeat.delay()

    assert wait_for(lambda: _heartbeat_runs() >= 2, timeout=30), celery_worker.output
