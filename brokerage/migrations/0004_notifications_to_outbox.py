"""Issue 9.1: the offer e-mails move from brokerage's Notification into the one outbox
(notifications.Notification), keeping their ids, states, attempts and times. Subject and body are
rendered from each offer as the sender would have. Reversible: the rows copy back."""

from django.core.management.color import no_style
from django.db import connection, migrations

CHUNK = 2000


def _texts(apps, offer_ids: list[int], kinds: dict[int, str]) -> dict[int, tuple[str, str]]:
    """Each old row's subject and body, rendered from its offer as the sender did then, on the
    historical models (the live ones may have columns a later migration adds). The one property
    the templates read that a historical model lacks, the postcode district, is set on each."""
    from brokerage.notifications import offer_email

    Offer = apps.get_model("brokerage", "Offer")
    offers = Offer.objects.filter(pk__in=offer_ids).select_related("package__ward", "branch")
    out = {}
    for offer in offers:
        compact = "".join(offer.package.postcode.upper().split())
        offer.package.postcode_district = compact[:-3] if len(compact) > 3 else ""
        mail = offer_email(offer, kinds[offer.pk])
        out[offer.pk] = (mail.subject, mail.body)
    return out


def forward(apps, schema_editor):
    Old = apps.get_model("brokerage", "Notification")
    New = apps.get_model("notifications", "Notification")
    ContentType = apps.get_model("contenttypes", "ContentType")
    offer_type, _ = ContentType.objects.get_or_create(app_label="brokerage", model="offer")
    rows = list(Old.objects.select_related("branch").order_by("pk"))
    for start in range(0, len(rows), CHUNK):
        _copy(apps, New, offer_type.pk, rows[start : start + CHUNK])
    _reset_sequence(New)


def _copy(apps, New, offer_type_id: int, rows: list) -> None:
    batch = []
    for kind in {row.kind for row in rows}:
        same = [row for row in rows if row.kind == kind]
        texts = _texts(apps, [row.offer_id for row in same], {row.offer_id: kind for row in same})
        for old in same:
            subject, body = texts[old.offer_id]
            batch.append(
                New(
                    id=old.pk,
                    kind=old.kind,
                    content_type_id=offer_type_id,
                    object_id=old.offer_id,
                    provider_id=old.branch.provider_id,
                    branch_id=old.branch_id,
                    to_email=old.to_email,
                    subject=subject[:300],
                    body=body,
                    state=old.state,
                    attempts=old.attempts,
                    last_error=old.last_error,
                    created_at=old.created_at,
                    claimed_at=old.claimed_at,
                    sent_at=old.sent_at,
                )
            )
    New.objects.bulk_create(batch)


def backward(apps, schema_editor):
    Old = apps.get_model("brokerage", "Notification")
    New = apps.get_model("notifications", "Notification")
    rows = New.objects.filter(
        content_type__app_label="brokerage", content_type__model="offer"
    ).exclude(kind__in=["reminder", "trigger", "review_delegation", "challenge_decision"])
    Old.objects.bulk_create(
        Old(
            id=n.pk,
            offer_id=n.object_id,
            branch_id=n.branch_id,
            kind=n.kind,
            to_email=n.to_email[:254],
            state=n.state,
            attempts=n.attempts,
            last_error=n.last_error,
            created_at=n.created_at,
            claimed_at=n.claimed_at,
            sent_at=n.sent_at,
        )
        for n in rows.iterator(chunk_size=CHUNK)
    )
    rows.delete()
    _reset_sequence(Old)


def _reset_sequence(model) -> None:
    """Rows kept their ids: move PostgreSQL's sequence past them (a no-op on SQLite)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0003_notification_claimed_at"),
        ("notifications", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]
