"""K9 reads for the council's risk pages: who is at risk, and one provider's recent rates. Shaped
here so the views only render (issue 9.6)."""

from __future__ import annotations

from datetime import datetime

from providers.models import Provider

from .models import RiskProfile
from .quarters import Quarter, recent_quarters
from .selectors import RateRow, RateWindow, provider_rates, rates_by_quarter, with_row_medians

RISK_HISTORY_QUARTERS = 4


def risk_entries(now: datetime) -> tuple[list[dict], Quarter]:
    """Providers in the medium or high band over the rolling 90 days or the last ended quarter,
    and every provider with a risk profile, by name. Each entry: `provider`, `profile` (or None),
    `rolling` and `quarter` (their rate rows, or None). Returns the entries and that quarter."""
    last = Quarter.containing(now).previous()
    rows: dict[int, dict] = {}
    rolling = RateWindow.rolling(now)
    for period in (rolling, RateWindow.for_quarter(last)):
        # K11: a quarter's rows carry their kept medians; the rolling rows' medians are worked
        # out below for the providers listed alone.
        for row in provider_rates(period, row_medians=False):
            if row.band in ("medium", "high"):
                entry = rows.setdefault(row.provider_id, {"provider": row.provider, "rates": {}})
                entry["rates"][period.code] = row
    with_row_medians(
        rolling, [e["rates"][rolling.code] for e in rows.values() if rolling.code in e["rates"]]
    )
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
    return entries, last


def risk_history(provider: Provider, now: datetime) -> list[tuple[Quarter, RateRow | None]]:
    """The provider's rates over the last four quarters, newest first (None: no offers)."""
    quarters = recent_quarters(now, RISK_HISTORY_QUARTERS)
    own = rates_by_quarter(quarters, provider_id=provider.pk)
    return [(q, (own.get(str(q)) or [None])[0]) for q in reversed(quarters)]
