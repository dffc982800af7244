"""Demo step: declared capacity (P12), through the real services, so navigators see branches with
no capacity on the capacity page and on the packages in their districts, and contract managers see
per provider how often each declared: a few branches of other providers have no capacity now, in
different districts; earlier declarations (some lifted early, one the demo provider's) make the
history."""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.management.base import OutputWrapper
from django.utils import timezone

from brokerage.capacity import capacity_declare, capacity_lift
from brokerage.models import CapacityDeclaration
from providers.models import Branch
from wards.models import Coverage

from .reviews import _office_user
from .steps import demo_provider

# What providers told the council on the forums when they could not take more work.
NOTES = [
    "Two carers off sick and one on leave: we cannot staff new calls until they are back.",
    "All our rounds in this area are full; recruiting now and will lift this as soon as we can.",
    "Winter pressures: staffing the packages we hold first, no new starts for now.",
    "Our minibus is off the road, so we cannot reach the outlying villages this fortnight.",
    "New staff are in their induction; we expect to take packages again once they are shadowing.",
]
NOW_DECLARED = 4
PAST_DECLARED = 6


def _branches_in_districts(exclude_provider: int) -> list[Branch]:
    """One active covering branch per district (by its first ward in force), from different
    providers, the demo provider's left out; in district order so the result is the same each run."""
    chosen: list[Branch] = []
    districts: set[str] = set()
    providers: set[int] = {exclude_provider}
    rows = (
        Coverage.objects.in_force()
        .filter(branch__is_active=True)
        .select_related("branch", "ward")
        .order_by("ward__district", "branch__provider_id", "branch_id")
    )
    for row in rows:
        branch = row.branch
        if row.ward.district in districts or branch.provider_id in providers:
            continue
        districts.add(row.ward.district)
        providers.add(branch.provider_id)
        chosen.append(branch)
    return chosen


def load_capacity(out: OutputWrapper) -> None:
    """No capacity declared now by a few branches; earlier declarations, some lifted early."""
    if CapacityDeclaration.objects.exists():
        out.write("  capacity: already loaded")
        return
    rng = random.Random(1212)
    now = timezone.now()
    shown, shown_branch = demo_provider()
    branches = _branches_in_districts(shown.pk)
    current, past = branches[:NOW_DECLARED], branches[NOW_DECLARED : NOW_DECLARED + PAST_DECLARED]
    for branch in current:
        declared_at = now - timedelta(hours=rng.randint(2, 60))
        capacity_declare(
            actor=_office_user(branch.provider_id),
            branch=branch,
            until=timezone.localdate(now) + timedelta(days=rng.randint(3, 14)),
            note=rng.choice(NOTES),
            now=declared_at,
        )
    lifted = 0
    for i, branch in enumerate([*past, shown_branch]):
        declared_at = now - timedelta(days=rng.randint(20, 80), hours=rng.randint(0, 8))
        days = rng.randint(3, 10)
        actor = _office_user(branch.provider_id)
        capacity_declare(
            actor=actor,
            branch=branch,
            until=timezone.localdate(declared_at) + timedelta(days=days),
            note=rng.choice(NOTES),
            now=declared_at,
        )
        if i % 2 == 0:  # lifted early: capacity came back before the day they had said
            capacity_lift(
                actor=actor,
                branch=branch,
                now=declared_at + timedelta(days=rng.randint(1, days - 1)),
            )
            lifted += 1
    out.write(
        f"  capacity: {len(current)} branches with no capacity now, "
        f"{len(past) + 1} earlier declarations ({lifted} lifted early; one by {shown.name})"
    )
