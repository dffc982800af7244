"""K4 reads for a provider's own figures: its rates per quarter and over the rolling 90 days beside
the market's, where it stands in the anonymous spread, and that spread as a chart and a table.
Shaped here so the view only renders (issue 9.6)."""

from __future__ import annotations

from datetime import datetime

from core.models import PortalSettings
from providers.models import User

from .charts import spread_chart
from .quarters import recent_quarters
from .selectors import (
    RateWindow,
    band_description,
    market_summary,
    own_figures,
    provider_rates,
    rates_by_quarter,
    standing,
)

SELF_VIEW_QUARTERS = 4
SPREAD_BINS = 10
# What each figure of the self-view counts, in words, for the list of offers behind it.
FIGURE_LABELS = {
    "offers": "Offers counted (answered or expired)",
    "responded": "Responded (Offer Made or Unable to Accept)",
    "no_response": "No Response",
    "offer_made": "Offer Made",
    "awarded": "Awarded to you",
    "excluded": "Excluded after challenge (left out of the response rate)",
}


def self_view_rows(user: User, now: datetime, rules: PortalSettings) -> list[dict]:
    """One row per window, the rolling 90 days first, then the last four quarters newest first.
    Each: `period` (its RateWindow), `row` (the user's own RateRow, or None: no offers), `market`
    (the whole market's Market) and `standing` (where the own rate stands, or None)."""
    quarters = recent_quarters(now, SELF_VIEW_QUARTERS)
    own = own_figures(user)
    mine_by_q = rates_by_quarter(quarters, rules=rules, **own)
    market_by_q = rates_by_quarter(quarters, rules=rules)
    rolling = RateWindow.rolling(now)
    windows = [
        (
            rolling,
            provider_rates(rolling, rules=rules, **own),
            market_summary(provider_rates(rolling, rules=rules, row_medians=False)),
        )
    ]
    for quarter in reversed(quarters):
        code = str(quarter)
        windows.append(
            (
                RateWindow.for_quarter(quarter),
                mine_by_q.get(code, []),
                market_summary(market_by_q.get(code, [])),
            )
        )
    rows = []
    for window, mine, market in windows:
        own = mine[0] if mine else None
        rate = own.rate if own else None
        rows.append(
            {"period": window, "row": own, "market": market, "standing": standing(rate, market)}
        )
    return rows


def self_view(user: User, *, period: str | None = None, now: datetime) -> dict:
    """The self-view page's context: every window's row (`rows`), the one chosen by its code
    (`chosen`; the rolling 90 days when `period` names none), its band in words, the market's
    spread as a chart and as a table of ten-point bins with the user's own bin marked (`bins`:
    (lower bound %, providers, is it yours)), the rules and the user's own rate (`you`)."""
    rules = PortalSettings.load()
    rows = self_view_rows(user, now, rules)
    chosen = next((entry for entry in rows if entry["period"].code == period), rows[0])
    you = chosen["row"].rate if chosen["row"] else None
    market = chosen["market"]
    chart = spread_chart(
        f"Response rates of {market.providers} providers, {chosen['period'].label}, "
        "in ten-point bands, with your band marked",
        market.rates,
        you,
    )
    return {
        "rows": rows,
        "chosen": chosen,
        "band": band_description(chosen["row"].band if chosen["row"] else None, rules),
        "chart": chart,
        "bins": spread_bins(market.rates, you),
        "rules": rules,
        "you": you,
    }


def spread_bins(rates: list[float], you: float | None) -> list[tuple[int, int, bool]]:
    """The rates in ten-point bins: (lower bound in per cent, providers in it, is `you` in it)."""
    counts = [0] * SPREAD_BINS
    for rate in rates:
        counts[_bin(rate)] += 1
    you_bin = None if you is None else _bin(you)
    return [(round(100 * i / SPREAD_BINS), n, i == you_bin) for i, n in enumerate(counts)]


def _bin(rate: float) -> int:
    return min(int(rate * SPREAD_BINS), SPREAD_BINS - 1)
