"""K10 on brokerage's offer page: kpi contributes the challenge panel through this tag, so that
brokerage never imports kpi (ARCHITECTURE.md, the layers)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from ..models import Challenge
from ..permissions import may_challenge, may_decide_challenges
from ..services import challenge_last_day

register = template.Library()


@register.inclusion_tag("kpi/includes/offer_challenge.html", takes_context=True)
def offer_challenge(context, offer):
    """The offer's challenge (its reason, decision, comment and the rate before and after) or,
    for its provider and a No Response still in time, the way to challenge it. One query."""
    user = context["request"].user
    challenge = Challenge.objects.filter(offer_id=offer.pk).select_related("decided_by").first()
    shown = {"offer": offer, "challenge": challenge, "may_decide": may_decide_challenges(user)}
    if challenge is None and offer.placement_response == "no_response":
        shown["last_day"] = challenge_last_day(offer)
        shown["may_challenge"] = may_challenge(user)
        shown["too_late"] = timezone.localdate() > shown["last_day"]
    return shown
