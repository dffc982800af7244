"""The K3 figures L1 reads: every provider's rolling 90-day response rate and the market median,
counted by the KPI pages' own selector (`kpi.selectors.provider_rates` over
`RateWindow.rolling`), never by a second formula.

Counting the whole market for every shortlist would read months of offers each time, so the daily
job (`refresh_rolling_rates`, also a command with `--as-of`) stores one count (`RollingRates`) and a
shortlist reads the newest one taken in the last `FRESH_FOR`; with none that fresh it counts there
and then through the same selector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kpi.selectors import RateWindow, market_summary, provider_rates

from .models import RollingRates

FRESH_FOR = timedelta(hours=36)  # refreshed daily (K3), with room for a late run
KEEP_FOR = timedelta(days=14)


@dataclass(frozen=True)
class Rates:
    counts: dict[int, tuple[int, int]]  # provider id -> (offers counted, responded)
    median: float | None
    as_of: datetime

    def rate(self, provider_id: int) -> float | None:
        offers, responded = self.counts.get(provider_id, (0, 0))
        return responded / offers if offers else None

    def counted(self, provider_id: int) -> int:
        return self.counts.get(provider_id, (0, 0))[0]


def count_rates(as_of: datetime) -> Rates:
    """Every provider's rolling 90-day K1 figures at `as_of`, from the KPI selector."""
    rows = provider_rates(RateWindow.rolling(as_of), row_medians=False)  # K11 not shown by L1
    market = market_summary(rows)
    return Rates({r.provider_id: (r.offers, r.responded) for r in rows}, market.median, as_of)


def current_rates(now: datetime | None = None) -> Rates:
    """The newest stored count taken within `FRESH_FOR` before `now`, else a count made now."""
    now = now or timezone.now()
    stored = RollingRates.objects.filter(as_of__lte=now, as_of__gt=now - FRESH_FOR).first()
    if stored is None:
        return count_rates(now)
    counts = {int(pk): (int(o), int(r)) for pk, (o, r) in stored.counts.items()}
    return Rates(counts, stored.median, stored.as_of)


@transaction.atomic
def refresh_rolling_rates(as_of: datetime | None = None) -> RollingRates:
    """Store the rolling 90-day count at `as_of` (K3, daily); counts older than `KEEP_FOR` go."""
    as_of = as_of or timezone.now()
    rates = count_rates(as_of)
    RollingRates.objects.filter(as_of__lt=as_of - KEEP_FOR).delete()
    return RollingRates.objects.create(
        as_of=as_of,
        median=rates.median,
        counts={str(pk): list(pair) for pk, pair in rates.counts.items()},
    )
