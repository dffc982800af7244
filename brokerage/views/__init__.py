"""Brokerage pages: the navigators' package queue, package pages and award; the providers' offers
inbox, offer page with its respond form, history and e-mails.

Every lookup goes through `visible_to` (A1): a provider asking for another's offer gets 404.
Council-only pages answer 403 to provider users; answering an offer is for provider users only.
Every change goes through `services`; a state that forbids it is shown as an error, never a 500.
"""

from .batches import (
    batch_create,
    batch_detail,
    batch_list,
    batch_send,
    package_widen,
    packages_hard_to_place,
)
from .capacity import branch_capacity, capacity_overview
from .claims import claim_list, claim_list_csv
from .offers import (
    branch_notifications,
    offer_detail,
    offer_history,
    offer_history_csv,
    offer_inbox,
)
from .packages import (
    package_cancel,
    package_create,
    package_detail,
    package_edit,
    package_end,
    package_list,
    package_queue,
    package_send_now,
    package_withdraw,
)

__all__ = [
    "batch_create",
    "batch_detail",
    "batch_list",
    "batch_send",
    "package_widen",
    "packages_hard_to_place",
    "offer_inbox",
    "offer_detail",
    "offer_history",
    "offer_history_csv",
    "branch_notifications",
    "branch_capacity",
    "capacity_overview",
    "package_list",
    "package_create",
    "package_edit",
    "package_detail",
    "package_queue",
    "package_send_now",
    "package_withdraw",
    "package_cancel",
    "package_end",
    "claim_list",
    "claim_list_csv",
]
