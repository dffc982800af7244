"""The contract-management dashboard's figures (K8), each a few grouped queries whatever the
number of providers or offers, so the page's query count is constant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, F, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from brokerage.hours import hours_at, in_force
from brokerage.models import SHORT_TERM_LEVELS, HoursChange, Package, ServiceLevel
from core.models import PortalSettings
from providers.models import Provider

from .models import KpiSettings, KpiTrigger
from .quarters import LONDON, Quarter, recent_quarters
from .selectors import Market, RateRow, market_summary, rates_by_quarter

DASHBOARD_QUARTERS = 6
LEVEL_WORDS = {1: "one", 2: "two", 3: "three"}


@dataclass
class QuarterFigures:
    quarter: Quarter
    rows: list[RateRow]
    market: Market

    @property
    def offer_rate(self) -> float | None:
        offers = sum(r.offers for r in self.rows)
        return sum(r.offer_made for r in self.rows) / offers if offers else None


def quarter_figures(now: datetime, count: int = DASHBOARD_QUARTERS) -> list[QuarterFigures]:
    """Rates per provider and the market for each of the last `count` quarters (K1, K2, K8)."""
    rules = PortalSettings.load()
    quarters = recent_quarters(now, count)
    by_quarter = rates_by_quarter(quarters, rules=rules)
    return [
        QuarterFigures(q, by_quarter.get(str(q), []), market_summary(by_quarter.get(str(q), [])))
        for q in quarters
    ]


def provider_matrix(figures: list[QuarterFigures]) -> list[dict]:
    """One row per provider: its rate and offer rate in each quarter (None where no offers)."""
    providers: dict[int, dict] = {}
    for i, fig in enumerate(figures):
        for row in fig.rows:
            entry = providers.setdefault(
                row.provider_id, {"provider": row.provider, "cells": [None] * len(figures)}
            )
            entry["cells"][i] = row
    return sorted(providers.values(), key=lambda e: e["provider"].name if e["provider"] else "")


def never_responded(figures: list[QuarterFigures]) -> list[dict]:
    """Providers with counted offers in the dashboard's quarters and not one response (K8)."""
    totals: dict[int, dict] = {}
    for fig in figures:
        for row in fig.rows:
            entry = totals.setdefault(
                row.provider_id, {"provider": row.provider, "offers": 0, "responded": 0}
            )
            entry["offers"] += row.offers
            entry["responded"] += row.responded
    return sorted(
        (e for e in totals.values() if e["responded"] == 0),
        key=lambda e: (-e["offers"], e["provider"].name),
    )


def trigger_levels() -> dict:
    """Providers at each trigger level now: the count of triggers since the last reset (K7, K8)."""
    active = (
        KpiTrigger.objects.filter(reset__isnull=True)
        .order_by()
        .values("provider_id")
        .annotate(n=Count("id"))
    )
    levels = {1: 0, 2: 0, 3: 0}
    for row in active:
        levels[min(row["n"], 3)] += 1
    parts = [f"{levels[lvl]} at level {LEVEL_WORDS[lvl]}" for lvl in (3, 2, 1) if levels[lvl]]
    return {"levels": levels, "sentence": ", ".join(parts) or "No provider has a trigger"}


def flagged_for_legal_advice() -> list[Provider]:
    """Providers at level three (K7): contract managers take legal advice on a breach notice."""
    ids = (
        KpiTrigger.objects.filter(reset__isnull=True)
        .order_by()
        .values("provider_id")
        .annotate(n=Count("id"))
        .filter(n__gte=3)
        .values("provider_id")
    )
    return list(Provider.objects.filter(pk__in=ids))


def _months_ago(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, 1)


def packages_by_service_level(now: datetime) -> dict:
    """Packages created in the last three months, per service level (K8)."""
    since = now - timedelta(days=91)
    counts = dict(
        Package.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("service_level")
        .annotate(n=Count("id"))
    )
    rows = [
        {"level": label, "code": code, "count": counts.get(code, 0)}
        for code, label in ServiceLevel.choices
    ]
    return {"since": since, "rows": rows, "total": sum(r["count"] for r in rows)}


def new_packages_per_month(now: datetime, months: int = 12) -> list[dict]:
    """New long-term and short-term (stcah_*) packages in each of the last `months` months (K8)."""
    first = _months_ago(now.astimezone(LONDON).date(), months - 1)
    start = datetime(first.year, first.month, 1, tzinfo=LONDON)
    short = Q(service_level__in=sorted(SHORT_TERM_LEVELS))
    grouped = (
        Package.objects.filter(created_at__gte=start)
        .annotate(month=TruncMonth("created_at", tzinfo=LONDON))
        .order_by()
        .values("month")
        .annotate(short=Count("id", filter=short), long=Count("id", filter=~short))
    )
    found = {}
    for row in grouped:
        month = row["month"]
        month = month.astimezone(LONDON).date() if isinstance(month, datetime) else month
        found[(month.year, month.month)] = row
    out = []
    for i in range(months):
        month = _months_ago(now.astimezone(LONDON).date(), months - 1 - i)
        row = found.get((month.year, month.month), {})
        out.append({"month": month, "long": row.get("long", 0), "short": row.get("short", 0)})
    return out


def commissioned_hours(now: datetime) -> dict:
    """Hours per week of packages in force now and a year ago, each at the hours in force on that
    day (R3: a review's change counts from its date; P2: an ended package leaves the total from its
    end date), and the weekly spend at the framework hourly rate (K8). One query, read set-based
    (issue 13): a package never changed is in force at its `hours_per_week` (what `hours_at` gives
    it), so only the packages with an hours change, picked by one hashed pass over the changes,
    look up the change in force on each day; before, every package in force ran four lookups."""
    year_ago = now - timedelta(days=365)
    changed = Q(pk__in=HoursChange.objects.values("package_id"))

    def hours(moment: datetime) -> Case:
        return Case(When(changed, then=hours_at(moment)), default=F("hours_per_week"))

    sums = Package.objects.filter(in_force(now) | in_force(year_ago)).aggregate(
        now=Sum(hours(now), filter=in_force(now)),
        year_ago=Sum(hours(year_ago), filter=in_force(year_ago)),
    )
    rate = KpiSettings.load().hourly_rate
    hours_now, hours_then = sums["now"] or Decimal(0), sums["year_ago"] or Decimal(0)
    return {
        "rate": rate,
        "year_ago_date": year_ago,
        "hours_now": hours_now,
        "hours_year_ago": hours_then,
        "spend_now": (hours_now * rate).quantize(Decimal("0.01")),
        "spend_year_ago": (hours_then * rate).quantize(Decimal("0.01")),
    }


def dashboard(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    figures = quarter_figures(now)
    return {
        "now": now,
        "figures": figures,
        "matrix": provider_matrix(figures),
        "never_responded": never_responded(figures),
        "triggers": trigger_levels(),
        "legal": flagged_for_legal_advice(),
        "service_levels": packages_by_service_level(now),
        "per_month": new_packages_per_month(now),
        "hours": commissioned_hours(now),
        "rules": PortalSettings.load(),
    }
