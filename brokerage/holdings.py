"""The weekly hours each provider holds (`ProviderHours`, L1 market share, issue 10), moved in the
same transaction as every write that changes which provider holds a package or its hours.

A package is held by the provider of the award of its current round while it is awarded (what
`recount` reads, and what L1 read before, award by award). Every write that can change that runs
inside `moving(package_ids)`: the holdings of those packages are read before and after and the
difference is written as one upsert (`INSERT ... ON CONFLICT DO UPDATE SET hours = hours +
excluded.hours`), in provider order so two transactions never wait on each other in a circle:

- `transitions.move_package` (cancel, end, and any other status move);
- `award.package_award` (the package awarded and its offer's outcome, together);
- `hours.package_hours_change` (an awarded package's hours);
- `batches.batch_send` (L4: the packages' next round, so the old provider no longer holds them;
  the new round's award moves them to the new provider);
- `Offer.save()` of an awarded offer (an award written directly, as tests and fixtures do);
- bulk writers (the demo loader, bench/allocation.py, bench/market.py) `rebuild` once after.

Nested uses move at the outermost end (its packages must include the inner ones').
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Sum

from .models import Offer, Outcome, PackageStatus, ProviderHours

_local = threading.local()
Holding = tuple[int, Decimal]  # (provider_id, hours_per_week)


def _awarded(offers):
    return offers.filter(
        outcome=Outcome.AWARDED, package__status=PackageStatus.AWARDED, round=F("package__round")
    ).order_by()


def held(package_ids: Iterable[int]) -> dict[int, Holding]:
    """{package id: (provider id, weekly hours)} of these packages as stored now (held ones only)."""
    rows = _awarded(Offer.objects.filter(package_id__in=list(package_ids))).values_list(
        "package_id", "provider_id", "package__hours_per_week"
    )
    return {package_id: (provider_id, hours) for package_id, provider_id, hours in rows}


def recount() -> dict[int, Decimal]:
    """{provider id: weekly hours held} counted from the awards (providers holding none left out)."""
    rows = (
        _awarded(Offer.objects.all())
        .values("provider_id")
        .annotate(hours=Sum("package__hours_per_week"))
    )
    return {row["provider_id"]: row["hours"] for row in rows if row["hours"]}


def kept(provider_ids: Iterable[int]) -> dict[int, Decimal]:
    """{provider id: weekly hours held} for these providers (0 for those holding none): one
    indexed query on the kept table."""
    ids = set(provider_ids)
    hours = dict.fromkeys(ids, Decimal(0))
    rows = ProviderHours.objects.filter(provider_id__in=ids).values_list("provider_id", "hours")
    hours.update(rows)
    return hours


def moves(before: dict[int, Holding], after: dict[int, Holding]) -> dict[int, Decimal]:
    delta: dict[int, Decimal] = defaultdict(Decimal)
    for sign, holdings in ((-1, before), (1, after)):
        for provider_id, hours in holdings.values():
            delta[provider_id] += sign * hours
    return {pk: d for pk, d in delta.items() if d}


@contextmanager
def moving(package_ids: Iterable[int]) -> Iterator[None]:
    """Move the kept hours by what the writes inside change in these packages' holdings."""
    ids = set(package_ids)
    outer = getattr(_local, "ids", None)
    if outer is not None:
        if not ids <= outer:
            raise RuntimeError("A nested holdings.moving() names packages its outer one does not.")
        yield
        return
    _local.ids = ids
    try:
        before = held(ids)
        yield
    finally:
        _local.ids = None
    _write(moves(before, held(ids)))


Offer.holdings_mover = staticmethod(moving)


def _write(delta: dict[int, Decimal]) -> None:
    if not delta:
        return
    q = connection.ops.quote_name
    table = q(ProviderHours._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(delta))
    params = [v for pk in sorted(delta) for v in (pk, delta[pk])]
    sql = (
        f"INSERT INTO {table} (provider_id, hours) VALUES {values} "  # noqa: S608 - names from the model, values are parameters
        f"ON CONFLICT (provider_id) DO UPDATE SET hours = {table}.hours + excluded.hours"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def rebuild() -> int:
    """Recount the kept hours from the awards (after a bulk write); returns the rows written."""
    ProviderHours.objects.all().delete()
    rows = [ProviderHours(provider_id=pk, hours=h) for pk, h in sorted(recount().items())]
    ProviderHours.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def stored() -> dict[int, Decimal]:
    """{provider id: weekly hours held} as the table keeps them (rows of 0 left out), like `recount`."""
    return dict(ProviderHours.objects.exclude(hours=0).values_list("provider_id", "hours"))
