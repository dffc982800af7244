"""The KPI app's one refusal, in the one error model (core.errors)."""

from core.errors import StateConflict


class KpiError(StateConflict):
    """The state forbids this (the API answers 409 with this message)."""
