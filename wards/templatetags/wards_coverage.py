"""What wards contribute to pages of the apps below them: a branch page shows the wards the branch
covers through `{% branch_coverage branch %}`, so `providers` never imports `wards` (the layers in
pyproject.toml)."""

from __future__ import annotations

from django import template

from providers.models import Branch

from ..selectors import branch_coverage as branch_coverage_in_force

register = template.Library()


@register.inclusion_tag("wards/_branch_coverage.html", takes_context=True)
def branch_coverage(context: template.Context, branch: Branch) -> dict:
    """The "Wards covered" section of `branch`'s page: its coverage in force that the signed-in
    user may see (A1)."""
    return {"coverage": branch_coverage_in_force(branch, user=context["request"].user)}
