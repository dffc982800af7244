"""How amounts and typed text read on the brokerage pages and in their messages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

SENTENCE_ENDS = (".", "!", "?", "…")


def hours(value) -> str:
    """'1 hour', '2 hours', '0.5 hours', '4.29 hours': at most two decimals, no trailing zeros, and
    'hour' only for exactly one. Anything that is not a number comes back as it was."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    shown = format(amount.normalize(), "f")  # 'f': Decimal("10").normalize() would read 1E+1
    return f"{shown} {'hour' if amount == 1 else 'hours'}"


def sentence(text: str) -> str:
    """Typed text closed with one full stop: 'Moved away' and 'Moved away.' both read
    'Moved away.' (a reason shown mid-paragraph must not end '..')."""
    text = (text or "").strip()
    if not text or text.endswith(SENTENCE_ENDS):
        return text
    return f"{text}."


def count(n: int, one: str, many: str) -> str:
    """'1 branch', '3 branches'."""
    return f"{n} {one if n == 1 else many}"


def send_now_summary(reference: str, result, *, verb: str = "sent") -> str:
    """What a send-now did (P3), truthfully when the message broker is down (issue 14.5): the
    package is offered and its e-mails recorded either way; they go when the broker is back."""
    text = f"Package {reference} {verb} to {count(result.offers, 'branch', 'branches')}."
    if result.emails_waiting:
        text += (
            f" {count(result.emails_waiting, 'e-mail', 'e-mails')} to the branches"
            f" {'is' if result.emails_waiting == 1 else 'are'} queued: the e-mail service"
            " cannot take them just now, and they will be sent automatically when it is back."
        )
    return text
