"""Every write to providers and portal users (STYLE 1)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.audit import audit_record

from .models import PROVIDER_ROLES, Branch, PdpsStatus, Provider, Role, User


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join(Role.values)
        raise ValueError(f"unknown role '{value}'; choose one of {choices}") from None


def _membership(
    role: Role, provider_ref: str | None, branch_ref: str | None
) -> tuple[Provider | None, Branch | None]:
    """The provider and branch a user of `role` belongs to; ValueError when they do not fit it."""
    if role not in PROVIDER_ROLES:
        if provider_ref or branch_ref:
            raise ValueError(f"a {role.value} user is council staff and has no provider or branch")
        return None, None
    if not provider_ref:
        raise ValueError(f"a {role.value} user needs a provider (--provider REF)")
    provider = Provider.objects.filter(ref=provider_ref).first()
    if provider is None:
        raise ValueError(f"no provider with reference '{provider_ref}'")
    if role == Role.PROVIDER_ORG:
        if branch_ref:
            raise ValueError("an organisation user has no branch; use role provider_branch")
        return provider, None
    if not branch_ref:
        raise ValueError("a provider_branch user needs a branch (--branch REF)")
    branch = Branch.objects.filter(provider=provider, ref=branch_ref).first()
    if branch is None:
        raise ValueError(f"provider '{provider_ref}' has no branch with reference '{branch_ref}'")
    return provider, branch


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str,
    email: str = "",
    provider_ref: str | None = None,
    branch_ref: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a portal user with `role`; provider roles belong to a provider (and branch).

    Administrators are also staff and superusers, so the Django admin works for them. The password
    is set as given: call `password_problems` to warn about a weak one. Raises ValueError (or
    ValidationError for a malformed username or e-mail) with a plain message, creating nothing.
    """
    role = _role(role)
    User.username_validator(username)
    if not password:
        raise ValueError("the password is empty")
    if email:
        validate_email(email)
    if User.objects.filter(username__iexact=username).exists():
        raise ValueError(f"a user named '{username}' already exists")
    provider, branch = _membership(role, provider_ref, branch_ref)
    is_admin = role == Role.ADMIN
    user = User(
        username=username,
        email=email,
        role=role,
        provider=provider,
        branch=branch,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after={
            "username": username,
            "email": email,
            "role": role.value,
            "provider": provider.ref if provider else None,
            "branch": branch.ref if branch else None,
            "is_superuser": is_admin,
        },
    )
    return user


def password_problems(password: str, *, username: str = "", email: str = "") -> list[str]:
    """What Django's password validators say against `password` for such a user (empty when none)."""
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as error:
        return list(error.messages)
    return []


@transaction.atomic
def provider_set_status(
    *, provider: Provider, status: str, actor: User | None = None, reason: str = ""
) -> Provider:
    """Set the provider's PDPS status (active, suspended, left), audited. Returns the provider."""
    status = PdpsStatus(status)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.pdps_status == status:
        return provider
    before = provider.pdps_status
    provider.pdps_status = status
    provider.save(update_fields=["pdps_status"])
    audit_record(
        actor=actor,
        action="provider.status",
        obj=provider,
        before={"pdps_status": before},
        after={"pdps_status": status.value},
        reason=reason,
    )
    return provider


@transaction.atomic
def providers_upsert(
    *, fields_by_ref: dict[str, dict[str, Any]], actor: User | None = None
) -> tuple[dict[str, Provider], int]:
    """Create each provider of `fields_by_ref` that does not exist yet (active on the PDPS) with its
    fields, and update the fields that differ on the others; one write per new or changed provider,
    audited. Returns (every provider named, by ref; the number created)."""
    existing = {p.ref: p for p in Provider.objects.filter(ref__in=fields_by_ref)}
    created = 0
    for ref, fields in fields_by_ref.items():
        provider = existing.get(ref)
        if provider is None:
            existing[ref] = provider = Provider.objects.create(ref=ref, **fields)
            created += 1
            audit_record(
                actor=actor,
                action="provider.create",
                obj=provider,
                after={"ref": ref, **{k: str(v) for k, v in fields.items()}},
            )
        elif changed := [k for k, v in fields.items() if getattr(provider, k) != v]:
            before = {k: str(getattr(provider, k)) for k in changed}
            for field in changed:
                setattr(provider, field, fields[field])
            provider.save(update_fields=changed)
            audit_record(
                actor=actor,
                action="provider.update",
                obj=provider,
                before=before,
                after={k: str(fields[k]) for k in changed},
            )
    return existing, created


@transaction.atomic
def branches_upsert(
    *,
    fields_by_key: dict[tuple[str, str], dict[str, str]],
    providers: dict[str, Provider],
    actor: User | None = None,
) -> tuple[dict[tuple[str, str], Branch], int]:
    """Create or update each branch of `fields_by_key`, keyed (provider ref, branch ref), of the
    `providers` given by ref; one write per new or changed branch, audited. Returns (the branches
    by key; the number created)."""
    existing = {
        (b.provider.ref, b.ref): b
        for b in Branch.objects.filter(provider__in=providers.values()).select_related("provider")
    }
    branches: dict[tuple[str, str], Branch] = {}
    created = 0
    for key, fields in fields_by_key.items():
        branch = existing.get(key)
        if branch is None:
            branch = Branch.objects.create(provider=providers[key[0]], ref=key[1], **fields)
            created += 1
            audit_record(
                actor=actor, action="branch.create", obj=branch, after={"ref": key[1], **fields}
            )
        elif changed := [k for k, v in fields.items() if getattr(branch, k) != v]:
            before = {k: getattr(branch, k) for k in changed}
            for field in changed:
                setattr(branch, field, fields[field])
            branch.save(update_fields=changed)
            audit_record(
                actor=actor,
                action="branch.update",
                obj=branch,
                before=before,
                after={k: fields[k] for k in changed},
            )
        branches[key] = branch
    return branches, created
