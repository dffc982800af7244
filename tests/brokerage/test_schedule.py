"""P3 and P5: the distribution schedule is in the database, and a missed run is caught up."""

import json
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
    assert crons == {
        ("11", "0", "1-5", "Europe/London"),
        ("10", "30", "0,6", "Europe/London"),
        ("10", "30", "1-5", "Europe/London"),  # P3: bank holidays, at the weekend time
    }
    assert sorted(json.loads(t.kwargs)["days"] for t in schedules) == [
        "bank_holidays",
        "weekdays",
        "weekends",
    ]


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
    weekday = schedules.get(name="Daily distribution (weekdays)")
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


# --- P3: England and Wales bank holidays run at the weekend time ---------------------------------


def _run_task(moment: str, days: str) -> str:
    from brokerage.tasks import distribute_packages_task

    return distribute_packages_task.apply(kwargs={"as_of": moment, "days": days}).get()


@pytest.mark.parametrize(
    "day",
    [
        "2026-12-25",  # Christmas Day 2026, a Friday
        "2027-03-29",  # Easter Monday 2027, the day after the clocks went forward (BST)
    ],
)
def test_on_a_bank_holiday_the_weekday_run_stands_down_and_the_bank_holiday_run_goes(
    queued_package, day
):
    """The team works weekend hours on a bank holiday, so the package goes out at 10:30 London
    time, not 11:00, and its offers say so."""
    assert "not a day" in _run_task(f"{day}T11:00", "weekdays")
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.QUEUED
    _run_task(f"{day}T10:30", "bank_holidays")
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.OFFERED
    sent = {o.sent_at.astimezone(LONDON) for o in queued_package.offers.all()}
    assert sent == {datetime.fromisoformat(f"{day}T10:30").replace(tzinfo=LONDON)}


def test_on_an_ordinary_weekday_the_bank_holiday_run_stands_down(queued_package):
    assert "not a day" in _run_task("2026-12-18T10:30", "bank_holidays")
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.QUEUED
    _run_task("2026-12-18T11:00", "weekdays")
    queued_package.refresh_from_db()
    assert queued_package.status == PackageStatus.OFFERED


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        # Easter Monday 2027 (29 March): 10:30, not 11:00; and after the clocks went forward.
        (datetime(2027, 3, 29, 12, 0, tzinfo=LONDON), datetime(2027, 3, 29, 10, 30, tzinfo=LONDON)),
        # Christmas Day 2026, a Friday, and Boxing Day (Saturday, a weekend anyway).
        (
            datetime(2026, 12, 25, 10, 45, tzinfo=LONDON),
            datetime(2026, 12, 25, 10, 30, tzinfo=LONDON),
        ),
        # Monday 28 December 2026 is the substitute Boxing Day holiday.
        (
            datetime(2026, 12, 28, 11, 30, tzinfo=LONDON),
            datetime(2026, 12, 28, 10, 30, tzinfo=LONDON),
        ),
        # The day after: an ordinary Tuesday at 11:00 again.
        (
            datetime(2026, 12, 29, 11, 30, tzinfo=LONDON),
            datetime(2026, 12, 29, 11, 0, tzinfo=LONDON),
        ),
    ],
)
def test_the_catch_up_knows_bank_holidays(schedules, now, slot):
    assert last_distribution_slot(now) == slot


def test_a_run_missed_on_a_bank_holiday_is_caught_up(schedules, queued_package):
    result = distribution_catch_up(now=datetime(2026, 12, 25, 10, 45, tzinfo=LONDON))
    assert result is not None and result.offers == 2


def test_existing_distribution_schedules_learn_their_days_and_keep_an_admins_own(db):
    """The migration fills an empty kwargs on the two existing schedules only."""
    import importlib

    from django.apps import apps as django_apps

    days = importlib.import_module("brokerage.migrations.0008_distribution_schedule_days")
    ensure_schedules()  # as a database made before this change had them, without kwargs
    weekday = PeriodicTask.objects.get(name="Daily distribution (weekdays)")
    weekday.kwargs = "{}"
    weekday.save()
    weekend = PeriodicTask.objects.get(name="Daily distribution (weekends)")
    weekend.kwargs = json.dumps({"as_of": None})  # an administrator's own arguments
    weekend.save()
    days.forward(django_apps, None)
    weekday.refresh_from_db()
    weekend.refresh_from_db()
    assert json.loads(weekday.kwargs) == {"days": "weekdays"}
    assert json.loads(weekend.kwargs) == {"as_of": None}
