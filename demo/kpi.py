"""Demo step: KPI returns and the three triggers (K5-K7), through the real services, so the
contract-management dashboard has a true picture: most providers return on time, some late, a few
not at all, and the escalation job has raised their triggers."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

from django.core.management.base import OutputWrapper
from django.utils import timezone

from kpi.models import DiscountedQuarter, KpiReturn, KpiSettings
from kpi.quarters import LONDON, Quarter
from kpi.returns import COLUMNS as VISIT_COLUMNS
from kpi.services import kpi_return_submit, kpi_triggers_escalate, owed_quarters
from providers.models import Provider

# The first two quarters of the contract were discounted: the reporting system failed (seeds, 2025).
DISCOUNTED = {"2024-25-Q3": "PAMMS reporting problems", "2024-25-Q4": "PAMMS reporting problems"}
VISITS_PER_RETURN = 40
# As in the March 2025 forum notes: most on time, some at level one, a few at level two.
HABITS = [("on_time", 70), ("late_once", 21), ("late_twice", 7), ("never", 2)]


def _visit_file(rng: random.Random, quarter: Quarter) -> io.StringIO:
    """A small, valid visit file for the quarter: some missed, some late, some short visits."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(VISIT_COLUMNS)
    start = quarter.start_at + timedelta(days=1, hours=8)
    for n in range(VISITS_PER_RETURN):
        planned = start + timedelta(hours=37 * n)
        minutes = rng.choice([30, 30, 45, 60])
        if rng.random() < 0.03:
            writer.writerow([f"V{n}", f"SU{n % 9}", planned.isoformat(), minutes, "", ""])
            continue
        began = planned + timedelta(minutes=rng.choice([0, 5, 10, 15, 20, 40]))
        ended = began + timedelta(minutes=minutes - rng.choice([0, 0, 5, 15]))
        writer.writerow(
            [
                f"V{n}",
                f"SU{n % 9}",
                planned.isoformat(),
                minutes,
                began.isoformat(),
                ended.isoformat(),
            ]
        )
    out.seek(0)
    return out


def load_kpi(out: OutputWrapper) -> None:
    """KPI returns for the quarters owed so far, and the triggers for late and missing ones."""
    if KpiReturn.objects.exists():
        out.write("  KPI returns: already loaded")
        return
    rng = random.Random(1507)
    for code, reason in DISCOUNTED.items():
        DiscountedQuarter.objects.get_or_create(quarter=code, defaults={"reason": reason})
    rules = KpiSettings.load()
    now = timezone.now()
    discounted = set(DISCOUNTED)
    made = late = 0
    from .steps import demo_provider

    shown, _ = demo_provider()
    for provider in Provider.objects.order_by("ref"):
        habit = rng.choices([h for h, _ in HABITS], weights=[w for _, w in HABITS])[0]
        if provider == shown:
            habit = "late_once"  # the demo provider's users see its returns and one trigger
        quarters = owed_quarters(
            provider,
            as_of=now,
            discounted=discounted,
            override=None,
            due_days=rules.return_due_days,
        )
        for index, quarter in enumerate(quarters):
            if habit == "never":
                continue  # missing
            due = quarter.due_date(rules.return_due_days)
            late_at = {"late_once": {len(quarters) // 2}, "late_twice": {0, len(quarters) - 1}}
            is_late = index in late_at.get(habit, set())
            day = (
                due + timedelta(days=rng.randint(3, 20))
                if is_late
                else due - timedelta(days=rng.randint(0, 10))
            )
            when = timezone.datetime.combine(
                day, timezone.datetime.min.time(), tzinfo=LONDON
            ) + timedelta(hours=14)
            kpi_return_submit(
                actor=None,
                provider=provider,
                quarter=quarter,
                file=_visit_file(rng, quarter),
                file_name=f"{provider.ref}-{quarter}.csv",
                now=min(when, now),
            )
            made += 1
            late += is_late
    result = kpi_triggers_escalate(as_of=now)
    levels = ", ".join(f"{n} at level {level}" for level, n in sorted(result.by_level.items()))
    out.write(
        f"  KPI returns: {made} made ({late} late); triggers raised: {result.created} ({levels})"
    )
