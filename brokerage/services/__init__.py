"""Every write to packages and offers (STYLE 1): each owns its transaction, writes the audit trail,
and schedules its e-mails after commit.

By the package's life: `packages` before award (create, edit, queue, send now, withdraw), `award`
and after (award, cancel with its claim, end), `responses` for the providers' answers to offers;
`transitions` holds the errors and the audited status moves they share. Import from here."""

from .award import cancellation_claim_hours, package_award, package_cancel, package_end
from .batches import batch_send, batches_create
from .hours import package_hours_change
from .packages import (
    package_create,
    package_queue,
    package_send_now,
    package_update,
    package_withdraw,
)
from .responses import offer_respond, offers_close_expired, response_window_problem
from .transitions import BrokerageError, InvalidResponse
from .widen import package_widen, wards_from_codes

__all__ = [
    "BrokerageError",
    "batch_send",
    "batches_create",
    "package_widen",
    "wards_from_codes",
    "InvalidResponse",
    "cancellation_claim_hours",
    "offer_respond",
    "offers_close_expired",
    "package_award",
    "package_cancel",
    "package_create",
    "package_end",
    "package_hours_change",
    "package_queue",
    "package_send_now",
    "package_update",
    "package_withdraw",
    "response_window_problem",
]
