"""K9 reads for the council's risk pages: who is at risk, and one provider's recent rates. Shaped
here so the views only render (issue 9.6)."""

from __future__ import annotations

from datetime import datetime

from providers.models import Provider

from .models import RiskProfile
from .quarters import Quarter, recent_quarters
from .selectors import RateRow, RateWindow, provider_rates, rates_by_quarter, with_row_medians

RISK_HISTORY_QUARTERS = 4


def risk_entries(now: datetime) -> tuple[list[dict], Quarter, RateWindow]:
    """Providers in the medium or high band over the rolling 90 days or the last ended quarter,
    and every provider with a risk profile, by name. Each entry: `provider`, `profile` (or None),
    `rolling` and `quarter` (their rate rows, or None). Returns the entries, that quarter and the
    rolling window. The rolling rows' K11 medians are left to `with_rolling_medians`, for the
    entries a page shows (a quarter's rows carry their kept medians)."""
    last = Quarter.containing(now).previous()
    rolling = RateWindow.rolling(now)
    rows: dict[int, dict] = {}
    for period in (rolling, RateWindow.for_quarter(last)):
        for row in provider_rates(period, row_medians=False):
            if row.band in ("medium", "high"):
                entry = rows.setdefault(row.provider_id, {"provider": row.provider, "rates": {}})
                entry["rates"][period.code] = row
    profiles = RiskProfile.objects.in_bulk(list(rows), field_name="provider_id")
    profiled = RiskProfile.objects.exclude(provider_id__in=list(rows)).select_related("provider")
    for extra in profiled:
        rows[extra.provider_id] = {"provider": extra.provider, "rates": {}}
        profiles[extra.provider_id] = extra
    entries = sorted(rows.values(), key=lambda e: e["provider"].name)
    for entry in entries:
        entry["profile"] = profiles.get(entry["provider"].pk)
        entry["rolling"] = entry["rates"].get("rolling-90")
        entry["quarter"] = entry["rates"].get(str(last))
    return entries, last, rolling


def with_rolling_medians(entries: list[dict], rolling: RateWindow) -> list[dict]:
    """K11 for these entries' `rolling` window (`risk_entries`'): each row's median hours to first
    answer, from those providers' offers alone (one query; issue 13: at a national market's 1,000
    providers at risk, every one's offers took most of the page)."""
    with_row_medians(rolling, [e["rolling"] for e in entries if e["rolling"]])
    return entries


def risk_history(provider: Provider, now: datetime) -> list[tuple[Quarter, RateRow | None]]:
    """The provider's rates over the last four quarters, newest first (None: no offers)."""
    quarters = recent_quarters(now, RISK_HISTORY_QUARTERS)
    own = rates_by_quarter(quarters, provider_id=provider.pk)
    return [(q, (own.get(str(q)) or [None])[0]) for q in reversed(quarters)]
