"""The shortlist and the award's confirmation as the pages show them (L1, L2)."""

from __future__ import annotations

from datetime import datetime

from brokerage.models import Offer, Outcome, Package, PlacementResponse
from brokerage.standing import parts_shown

from .matrix import Ranked, how_scored, shortlist, weights
from .rates import current_rates
from .services import top_open


def shortlist_page(package: Package, now: datetime | None = None) -> dict:
    """The shortlist page's rows, the sentence on how a score is made and the top open offer."""
    ranked = shortlist(package, now=now)
    rows = []
    for row in ranked:
        data = row.as_dict()
        data["outcome_label"] = Outcome(row.offer.outcome).label
        data["parts_shown"] = parts_shown(row.parts)
        rows.append(data)
    top = top_open(ranked)
    return {
        "rows": rows,
        "top_offer": top.offer_id if top else None,
        "how_scored": how_scored(weights(), current_rates(now).median if ranked else None),
    }


def award_consequences(package: Package, chosen: Offer, ranked: list[Ranked]) -> dict:
    """What an award will do (L2): who is awarded, who is told Not Awarded, which open offers close
    (as Closed Before Response, or No Response past their deadline)."""
    offers = list(
        Offer.objects.filter(package=package, round=package.round, outcome=Outcome.OPEN)
        .exclude(pk=chosen.pk)
        .select_related("branch", "provider")
        .order_by("provider__name", "branch__name")
    )
    answered = [
        o
        for o in offers
        if o.placement_response
        in (PlacementResponse.OFFER_MADE, PlacementResponse.UNABLE_TO_ACCEPT)
    ]
    unanswered = [o for o in offers if o.placement_response is None]
    top = top_open(ranked)
    rank = next((r.rank for r in ranked if r.offer_id == chosen.pk), None)
    return {
        "chosen": chosen,
        "chosen_rank": rank,
        "ranked_of": len(ranked),
        "is_top": top is not None and top.offer_id == chosen.pk,
        "told_not_awarded": answered,
        "closing": unanswered,
    }
