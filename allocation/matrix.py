"""The decision matrix (L1): each offer made is scored on four parts, each from 0 to 1, and the
score is their weighted mean with the administrator's weights (`PortalSettings.weight_*`).

- response rate: the provider's rolling 90-day K1 rate (`allocation.rates`); a provider with no
  counted offers scores the market median;
- quality: the CQC rating (outstanding 1, good 0.75, requires improvement 0.25, inadequate 0, not
  yet rated 0.5);
- market share: weekly hours the provider already holds in awarded packages (current rounds): the
  least on the shortlist scores 1, the most 0, linear between (all equal: all 1);
- start: the offered start on or before the wanted date scores 1, falling to 0 at 28 days later.

Ties go to the earlier answer. Every row carries each part's raw figure, score and weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from brokerage import holdings
from brokerage.models import Offer, Outcome, Package, PlacementResponse
from brokerage.standing import PART_NAMES, PARTS
from core.models import PortalSettings
from providers.models import CqcRating

from .rates import Rates, current_rates

QUALITY = {
    CqcRating.OUTSTANDING: 1.0,
    CqcRating.GOOD: 0.75,
    CqcRating.REQUIRES_IMPROVEMENT: 0.25,
    CqcRating.INADEQUATE: 0.0,
    CqcRating.NOT_RATED: 0.5,
}
ZERO_MARKS_AFTER_DAYS = 28
NO_MARKET_RATE = 0.5  # no provider has counted offers at all: nobody is ahead


def weights(rules: PortalSettings | None = None) -> dict[str, float]:
    rules = rules or PortalSettings.load()
    return {name: float(getattr(rules, f"weight_{name}")) for name in PARTS}


def start_score(days_late: int) -> float:
    return max(0.0, 1 - max(days_late, 0) / ZERO_MARKS_AFTER_DAYS)


def share_scores(held: dict[int, Decimal]) -> dict[int, float]:
    """Least hours 1, most 0, linear between; when all hold the same, all 1."""
    if not held:
        return {}
    least, most = min(held.values()), max(held.values())
    if most == least:
        return dict.fromkeys(held, 1.0)
    return {pk: float((most - hours) / (most - least)) for pk, hours in held.items()}


def hours_held(provider_ids) -> dict[int, Decimal]:
    """Weekly hours each provider holds in awarded packages, by the award of each package's
    current round (L4: an earlier round's award no longer counts once the package moved), read
    from the hours kept per provider (`brokerage.holdings`, issue 10): one indexed query."""
    return holdings.kept(provider_ids)


@dataclass
class Ranked:
    offer: Offer
    parts: dict[str, dict] = field(default_factory=dict)
    score: float = 0.0
    rank: int = 0

    @property
    def offer_id(self) -> int:
        return self.offer.pk

    def as_dict(self) -> dict:
        """The API's shortlist row (API.md): `{offer, provider, branch, score, parts}` and more."""
        offer = self.offer
        return {
            "offer": offer.pk,
            "rank": self.rank,
            "provider": {"ref": offer.provider.ref, "name": offer.provider.name},
            "branch": {"ref": offer.branch.ref, "name": offer.branch.name},
            "score": round(self.score, 4),
            "parts": self.parts,
            "offered_start_date": offer.offered_start_date,
            "responded_at": offer.responded_at,
            "note": offer.note,
            "outcome": offer.outcome,
        }


def weighted_mean(parts: dict[str, dict]) -> float:
    total = sum(p["weight"] for p in parts.values())
    if total <= 0:
        return 0.0
    return sum(p["score"] * p["weight"] for p in parts.values()) / total


def shortlist_offers(package: Package):
    """The offers made in the package's current round (any outcome but withdrawn)."""
    return (
        Offer.objects.filter(
            package=package, round=package.round, placement_response=PlacementResponse.OFFER_MADE
        )
        .exclude(outcome=Outcome.WITHDRAWN)
        .select_related("provider", "branch")
    )


def rank_offers(
    package: Package,
    offers: list[Offer],
    *,
    rates: Rates,
    held: dict[int, Decimal],
    weight: dict[str, float],
) -> list[Ranked]:
    """Score each offer on the four parts and rank them, best first; ties to the earlier answer."""
    shares = share_scores({o.provider_id: held.get(o.provider_id, Decimal(0)) for o in offers})
    median = rates.median if rates.median is not None else NO_MARKET_RATE
    ranked = []
    for offer in offers:
        rate = rates.rate(offer.provider_id)
        days_late = max((offer.offered_start_date - package.start_date).days, 0)
        quality = offer.provider.cqc_rating
        parts = {
            "response_rate": {
                "value": None if rate is None else round(rate, 4),
                "score": round(median if rate is None else rate, 4),
                "weight": weight["response_rate"],
                "counted": rates.counted(offer.provider_id),
            },
            "quality": {
                "value": quality,
                "score": QUALITY.get(quality, QUALITY[CqcRating.NOT_RATED]),
                "weight": weight["quality"],
            },
            "market_share": {
                "value": float(held.get(offer.provider_id, Decimal(0))),
                "score": round(shares[offer.provider_id], 4),
                "weight": weight["market_share"],
            },
            "start": {
                "value": days_late,
                "score": round(start_score(days_late), 4),
                "weight": weight["start"],
            },
        }
        ranked.append(Ranked(offer, parts, weighted_mean(parts)))
    far_future = timezone.now().replace(year=9999)
    ranked.sort(key=lambda r: (-round(r.score, 9), r.offer.responded_at or far_future, r.offer.pk))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked


def shortlist(package: Package, *, now: datetime | None = None) -> list[Ranked]:
    """The package's offers made, ranked by the decision matrix (L1): a handful of queries
    whatever the number of offers (the offers, the stored rates, the hours held, the settings)."""
    offers = list(shortlist_offers(package))
    if not offers:
        return []
    rates = current_rates(now)
    held = hours_held({o.provider_id for o in offers})
    return rank_offers(package, offers, rates=rates, held=held, weight=weights())


def how_scored(weight: dict[str, float], median: float | None) -> str:
    """The sentence under the shortlist saying how a score is made, with today's weights."""
    shown = ", ".join(f"{PART_NAMES[p].lower()} {weight[p]:g}" for p in PARTS)
    median_text = "–" if median is None else f"{median * 100:.1f}%"
    return (
        "Each offer's score is the weighted mean of four parts, each from 0 to 1: "
        "response rate (the provider's response rate over the last 90 days; a provider with no "
        f"counted offers gets the market median, {median_text}); quality (CQC rating: outstanding 1, "
        "good 0.75, requires improvement 0.25, inadequate 0, not yet rated 0.5); market share "
        "(weekly hours the provider already holds in awarded packages: the least on this "
        "shortlist scores 1, the most 0); and start (an offered start on or before the wanted "
        f"date scores 1, falling to 0 at {ZERO_MARKS_AFTER_DAYS} days later). "
        f"The weights, set by an administrator, are now: {shown}. "
        "Equal scores are ranked by who answered first."
    )
