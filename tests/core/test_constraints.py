"""Every database constraint says in words what it refuses (STYLE 7), so a form or the API
that trips one shows a sentence, not Django's default "Constraint … is violated"."""

from django.apps import apps
from django.db.models import BaseConstraint

OURS = {"core", "providers", "notifications", "wards", "brokerage", "kpi"}


def test_every_constraint_of_ours_has_a_violation_error_message():
    default = BaseConstraint.default_violation_error_message
    missing = [
        f"{model._meta.label}.{constraint.name}"
        for model in apps.get_models()
        if model._meta.app_label in OURS
        for constraint in model._meta.constraints
        if constraint.violation_error_message in (None, default)
    ]
    assert not missing, f"constraints with no message of their own: {missing}"
