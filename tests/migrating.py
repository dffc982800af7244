"""Tests of data migrations: move the test database to a migration state, and the rows an old
database would hold, written with that state's historical models."""

from datetime import date

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to `targets` ([(app, migration)]) and return that state's apps."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    """Every app's last migration."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def old_package(apps, start_date: date):
    """A provider with a branch covering nothing yet and an offered package in its ward, as the
    historical models `apps` write them: (provider, branch, package)."""
    ward = apps.get_model("wards", "Ward").objects.create(
        code="E05012001", name="Fishwick", district="Preston"
    )
    provider = apps.get_model("providers", "Provider").objects.create(
        ref="PA",
        name="Amber Homecare Ltd",
        senior_manager_email="boss@amber.example.org",
        contact_email="office@amber.example.org",
        joined_on=date(2024, 1, 1),
    )
    branch = apps.get_model("providers", "Branch").objects.create(
        provider=provider, ref="A1", name="Preston", notification_email="a1@amber.example.org"
    )
    package = apps.get_model("brokerage", "Package").objects.create(
        reference="PKG-OLD-1",
        ward=ward,
        postcode="PR1 4AB",
        service_level="homecare_single",
        hours_per_week=10,
        call_pattern="2 calls a day",
        carer_gender="any",
        urgency="standard",
        start_date=start_date,
        needs_summary="Personal care",
        status="offered",
    )
    return provider, branch, package
