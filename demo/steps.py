"""The steps of `manage.py load_demo`, in order. Each is a function taking the command's stdout
writer; it loads its part of the demo through the services (so the register versions, audit trail
and checks are the real ones) and skips itself when its data is already there, so running the
command twice changes nothing.

To extend the demo (packages, offers, KPI returns...), write another such function and append it:
`STEPS.append(load_packages)`. Later steps may rely on what earlier ones loaded: `lancashire.market()`
describes the providers, `CREDENTIALS` the users.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from django.core.management.base import OutputWrapper
from django.db.models import Count, Q

from providers.models import Branch, PdpsStatus, Provider, Role, User
from providers.services import provider_set_status, user_create
from wards.models import Coverage, RegisterVersion, Ward
from wards.services import (
    REGISTER_COLUMNS,
    WARD_COLUMNS,
    register_change,
    register_import,
    wards_import,
)

from . import lancashire

Step = Callable[[OutputWrapper], None]

WARD_CLEANSE_NOTE = "Ward cleanse: wards where a branch never makes an offer removed"
REGISTER_EXTRA = ("notification_email", "cqc_rating", "senior_manager_email", "joined_on")


@dataclass(frozen=True)
class Credential:
    label: str
    username: str
    password: str
    role: str


CREDENTIALS = [
    Credential("Care navigator", "navigator", "navigator-demo-pass", Role.NAVIGATOR),
    Credential("Contract manager", "contract", "contract-demo-pass", Role.CONTRACT_MANAGER),
    Credential("Reviewer", "reviewer", "reviewer-demo-pass", Role.REVIEWER),
    Credential("Administrator", "admin", "admin-demo-pass", Role.ADMIN),
    Credential("Provider (organisation)", "provider", "provider-demo-pass", Role.PROVIDER_ORG),
    Credential("Provider (branch)", "branch", "branch-demo-pass", Role.PROVIDER_BRANCH),
]


def _csv(header: tuple[str, ...], rows) -> io.StringIO:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    text.seek(0)
    return text


def load_wards(out: OutputWrapper) -> None:
    """Wards of the 12 districts (W1).

    Imported from CSV through wards_import, as the council would.
    """
    demo = lancashire.wards()
    if Ward.objects.filter(code__in=[w.code for w in demo]).count() == len(demo):
        out.write(f"  wards: already loaded ({len(demo)} wards)")
        return
    result = wards_import(source=_csv(WARD_COLUMNS, [(w.code, w.name, w.district) for w in demo]))
    out.write(
        f"  wards: {result.created} created, {result.updated} updated in "
        f"{len(lancashire.DISTRICTS)} districts"
    )


def _register_rows(providers: list[lancashire.DemoProvider]):
    for p in providers:
        for b in p.branches:
            for code in b.wards:
                yield (
                    p.ref,
                    p.name,
                    b.ref,
                    b.name,
                    code,
                    b.notification_email,
                    p.cqc_rating,
                    p.senior_manager_email,
                    p.joined_on.isoformat(),
                    p.senior_manager_name,
                )


def _join_quarter(provider: lancashire.DemoProvider) -> str:
    date = provider.joined_on
    return f"{date.year} Q{(date.month - 1) // 3 + 1}"


def load_register(out: OutputWrapper) -> None:
    """Providers, branches and ward coverage (W2, W4).

    Imported through register_import as the council published them: the PDPS at launch, then
    each quarter's new joiners, each a register version.
    """
    market = lancashire.market()
    if Provider.objects.filter(ref__in=[p.ref for p in market]).count() == len(market):
        out.write(f"  register: already loaded ({len(market)} providers)")
        return
    header = (*REGISTER_COLUMNS, *REGISTER_EXTRA, "senior_manager_name")
    launch = [p for p in market if p.joined_on == lancashire.PDPS_START]
    rounds = [("PDPS register at launch", launch)]
    joiners = [p for p in market if p.joined_on != lancashire.PDPS_START]
    for quarter, group in groupby(joiners, key=_join_quarter):
        rounds.append((f"New PDPS providers joined {quarter}", list(group)))
    for note, providers in rounds:
        result = register_import(source=_csv(header, _register_rows(providers)), note=note)
        published = f"v{result.version.number}" if result.version else "unchanged"
        out.write(
            f"  register {published}: {note} ({result.providers_created} providers, "
            f"{result.branches_created} branches created)"
        )


def load_pdps_status(out: OutputWrapper) -> None:
    """Suspended providers and providers who left the PDPS.

    Those who left lose their coverage in a new register version.
    """
    changed = [p for p in lancashire.market() if p.pdps_status != PdpsStatus.ACTIVE]
    providers = {p.ref: p for p in Provider.objects.filter(ref__in=[c.ref for c in changed])}
    if all(providers[c.ref].pdps_status == c.pdps_status for c in changed):
        out.write("  PDPS status: already set")
        return
    for demo in changed:
        reason = (
            "CQC rating fell to Requires improvement"
            if demo.pdps_status == PdpsStatus.SUSPENDED
            else "Gave notice to leave the PDPS"
        )
        provider_set_status(provider=providers[demo.ref], status=demo.pdps_status, reason=reason)
    left = [c.ref for c in changed if c.pdps_status == PdpsStatus.LEFT]
    leaving = Coverage.objects.in_force().filter(branch__provider__ref__in=left)
    pairs = [(c.branch, c.ward) for c in leaving.select_related("branch", "ward")]
    version = register_change(remove=pairs, note="Providers who left the PDPS removed")
    out.write(
        f"  PDPS status: {len(changed) - len(left)} suspended, {len(left)} left"
        + (f"; register v{version.number} removes {version.removed} ward pairs" if version else "")
    )


def load_ward_cleanse(out: OutputWrapper) -> None:
    """A ward cleanse, as in February 2026 (v28): a few branch-ward pairs removed."""
    if RegisterVersion.objects.filter(note=WARD_CLEANSE_NOTE).exists():
        out.write("  ward cleanse: already published")
        return
    rng = random.Random(lancashire.SEED)
    in_force = (
        Coverage.objects.in_force()
        .filter(branch__provider__ref__in=[p.ref for p in lancashire.market()])
        .select_related("branch", "ward")
        .order_by("branch__provider__ref", "branch__ref", "ward__code")
    )
    pairs = [(c.branch, c.ward) for c in in_force]
    removed = rng.sample(pairs, len(pairs) // 25)
    version = register_change(remove=removed, note=WARD_CLEANSE_NOTE)
    out.write(f"  register v{version.number}: ward cleanse removes {version.removed} ward pairs")


DEMO_PROVIDER_BRANCHES = 3


def demo_provider() -> tuple[Provider, Branch]:
    """The provider the demo's provider users work for and the branch of the branch user.

    The first active provider with at least three active branches, each covering wards, so the
    organisation user sees offers from all its branches and the branch user only its own (A1).
    """
    covering = Coverage.objects.in_force().values("branch_id")
    active = Branch.objects.filter(is_active=True, pk__in=covering)
    candidates = (
        Provider.objects.on_framework()
        .filter(ref__startswith="HC")
        .annotate(covering=Count("branches", filter=Q(branches__in=active)))
        .filter(covering__gte=DEMO_PROVIDER_BRANCHES)
        .order_by("ref")
    )
    provider = candidates.first()
    return provider, active.filter(provider=provider).order_by("ref").first()


def users_table(provider: Provider | None = None, branch: Branch | None = None) -> list[str]:
    """The demo users as a table to print: role, username, password (and where the provider
    users work)."""
    rows = [("Role", "Username", "Password", "")]
    for credential in CREDENTIALS:
        where = ""
        if provider is not None and credential.role == Role.PROVIDER_ORG:
            where = f"{provider.name} ({provider.ref})"
        elif branch is not None and credential.role == Role.PROVIDER_BRANCH:
            where = f"{branch.name} branch ({branch.ref}) of {branch.provider.name}"
        rows.append((credential.label, credential.username, credential.password, where))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, [*widths, 0], strict=True)).rstrip()
        for row in rows
    ]


def load_users(out: OutputWrapper) -> None:
    """One user per role (printed at the end: role, username and password)."""
    provider, branch = demo_provider()
    created, moved = [], []
    for credential in CREDENTIALS:
        is_provider = credential.role in (Role.PROVIDER_ORG, Role.PROVIDER_BRANCH)
        existing = User.objects.filter(username=credential.username).first()
        if existing is not None:
            # A demo loaded before the provider users moved to a provider with several branches.
            want = (provider.pk, branch.pk if credential.role == Role.PROVIDER_BRANCH else None)
            is_demo = existing.email == f"{credential.username}@portal-demo.example"
            if is_provider and is_demo and (existing.provider_id, existing.branch_id) != want:
                User.objects.filter(pk=existing.pk).update(provider_id=want[0], branch_id=want[1])
                moved.append(credential.username)
            continue
        user_create(
            username=credential.username,
            role=credential.role,
            password=credential.password,
            email=f"{credential.username}@portal-demo.example",
            provider_ref=provider.ref if is_provider else None,
            branch_ref=branch.ref if credential.role == Role.PROVIDER_BRANCH else None,
        )
        created.append(credential.username)
    if moved:
        out.write(f"  users: {', '.join(moved)} moved to {provider.name} ({provider.ref})")
    out.write(f"  users: {len(created)} created" if created else "  users: already created")


from .capacity import load_capacity  # noqa: E402 - it uses demo_provider above
from .challenges import load_challenges  # noqa: E402 - it uses demo_provider above
from .history import load_history  # noqa: E402
from .kpi import load_kpi  # noqa: E402
from .packages import load_packages  # noqa: E402 - it uses demo_provider above
from .reviews import load_reviews  # noqa: E402 - it uses demo_provider above

STEPS: list[Step] = [
    load_wards,
    load_register,
    load_pdps_status,
    load_ward_cleanse,
    load_users,
    load_history,
    load_packages,
    load_kpi,
    load_challenges,
    load_capacity,
    load_reviews,
]
