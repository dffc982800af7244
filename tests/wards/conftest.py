"""A small published register for the ward-request tests: branch a1 (provider A) covers Fishwick,
branch b1 (provider B) covers Chorley East, Ribbleton is covered by no one. Register v1."""

import pytest

from tests.factories import WardFactory
from wards.services import register_change


@pytest.fixture
def fishwick(ward):
    return ward


@pytest.fixture
def ribbleton(db):
    return WardFactory(code="E05012002", name="Ribbleton", district="Preston")


@pytest.fixture
def chorley_east(db):
    return WardFactory(code="E05012003", name="Chorley East", district="Chorley")


@pytest.fixture
def register(branch_a1, branch_a2, branch_b1, fishwick, ribbleton, chorley_east):
    return register_change(
        add=[(branch_a1, fishwick), (branch_b1, chorley_east)], note="First register"
    )
