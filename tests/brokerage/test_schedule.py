"""P3 and P5: the distribution schedule is in the database, and a missed run is caught up."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django_celery_beat.models import PeriodicTask

from brokerage.distribution import distribute_packages
from brokerage.models import DistributionRun, PackageStatus
from brokerage.schedule import DISTRIBUTION_TASK, distribution_catch_up, last_distribution_slot
from core.schedules import ensure_schedules

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def schedules(db):
    ensure_schedules()
    return PeriodicTask.objects.filter(task=DISTRIBUTION_TASK)


def test_distribution_runs_at_eleven_on_weekdays_and_half_ten_at_weekends(schedules):
    crons = {
        (t.crontab.hour, t.crontab.minute, t.crontab.day_of_week, str(t.crontab.timezone))
        for t in schedules
    }
    assert crons == {("11", "0", "1-5", "Europe/London"), ("10", "30", "0,6", "Europe/London")}


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (
            datetime(2026, 3, 2, 10, 59, tzinfo=LONDON),
            datetime(2026, 3, 1, 10, 30, tzinfo=LONDON),
        ),  # Mon before 11
        (datetime(2026, 3, 2, 11, 0, tzinfo=LONDON), datetime(2026, 3, 2, 11, 0, tzinfo=LONDON)),
        (
            datetime(2026, 3, 7, 12, 0, tzinfo=LONDON),
            datetime(2026, 3, 7, 10, 30, tzinfo=LONDON),
        ),  # Saturday
        # across the spring clock change (29 March 2026): 10:30 local on the Sunday is 09:30 UTC
        (
            datetime(2026, 3, 29, 10, 0, tzinfo=ZoneInfo("UTC")),
            datetime(2026, 3, 29, 10, 30, tzinfo=LONDON),
        ),
        (
            datetime(2026, 10, 26, 11, 30, tzinfo=LONDON),
            datetime(2026, 10, 26, 11, 0, tzinfo=LONDON),
        ),
    ],
)
def test_last_slot_follows_london_time_across_clock_changes(schedules, now, slot):
    assert last_distribution_slot(now) == slot


def test_an_administrators_new_time_is_used(schedules):
    weekday = schedules.get(crontab__day_of_week="1-5")
    weekday.crontab.hour = "9"
    weekday.crontab.save()
    assert last_distribution_slot(datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)) == datetime(
        2026, 3, 2, 9, 0, tzinfo=LONDON
    )


def test_missed_run_is_caught_up_once(schedules, queued_package):
    """The system was down at 11:00; at 14:00 the catch-up sends the package, then does nothing."""
    at_two = datetime(2026, 3, 2, 14, 0, tzinfo=LONDON)
    result = distribution_catch_up(now=at_two)
    assert result is not None and result.offers == 2
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.OFFERED
    assert distribution_catch_up(now=datetime(2026, 3, 2, 14, 5, tzinfo=LONDON)) is None


def test_no_catch_up_when_the_scheduled_run_happened(schedules, queued_package):
    distribute_packages(as_of=datetime(2026, 3, 2, 11, 0, tzinfo=LONDON))
    assert distribution_catch_up(now=datetime(2026, 3, 2, 11, 5, tzinfo=LONDON)) is None
    assert DistributionRun.objects.count() == 1


def test_disabled_schedule_is_not_caught_up(schedules, queued_package):
    schedules.update(enabled=False)
    assert distribution_catch_up(now=datetime(2026, 3, 2, 14, 0, tzinfo=LONDON)) is None


def test_the_task_runs_the_distribution_as_of_now(queued_package):
    from brokerage.tasks import distribute_packages_task

    distribute_packages_task.delay("2026-03-02T11:00")
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.OFFERED


def test_the_catch_up_is_a_command_with_as_of(schedules, queued_package):
    """I3: the catch-up job re-run for a given moment by hand; a second run finds nothing missed."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("catch_up_distribution", "--as-of", "2026-03-02T14:00:00+00:00", stdout=out)
    assert "1 package(s) distributed, 2 offer(s) made" in out.getvalue()
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.OFFERED
    again = StringIO()
    call_command("catch_up_distribution", "--as-of", "2026-03-02T14:05:00+00:00", stdout=again)
    assert "no run missed" in again.getvalue()
