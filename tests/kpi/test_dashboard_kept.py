"""Issue 13, goal 2: the contract-management dashboard (K8) is worked out once and given again
while nothing it reads has changed (`core.changes`), for at most KEEP_SECONDS of the clock; any
change (a count moved, a provider renamed, a setting changed, a change audited) is on the next
look."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import changes
from core.audit import audit_bulk
from core.models import PortalSettings
from kpi.views import dashboard_pages
from providers.models import Provider
from tests.factories import BranchFactory, ProviderFactory

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 8, 1, 12)):
        yield


@pytest.fixture
def looking(client, carl, frozen):
    client.force_login(carl)
    PortalSettings.load()  # the settings' row made, as in any running portal
    client.get("/kpi/dashboard/")  # its first look made the KPI settings' row too

    def look(**params):
        page = client.get("/kpi/dashboard/", params).content.decode()
        return page[page.index("<main") : page.index("</main>")]  # not the page's own nonce

    return look


def test_given_again_it_reads_the_session_the_user_and_the_number_alone(looking, make_offer):
    make_offer(
        BranchFactory(provider=ProviderFactory(name="Kept Care")), at(2026, 5, 1, 11), "no_response"
    )
    first = looking()
    with CaptureQueriesContext(connection) as again:
        second = looking()
    assert len(again) == 3, [q["sql"][:80] for q in again.captured_queries]
    assert (
        "core_figures" in again.captured_queries[-1]["sql"]
        or "figures_version" in again.captured_queries[-1]["sql"]
    )
    assert second == first and "Kept Care" in second


def test_a_new_offer_counted_is_on_the_next_look(looking, make_offer):
    assert "Newly Counted Care" not in looking()
    branch = BranchFactory(provider=ProviderFactory(name="Newly Counted Care"))
    make_offer(branch, at(2026, 5, 1, 11), "no_response")
    assert "Newly Counted Care" in looking()


def test_a_provider_renamed_is_on_the_next_look(looking, make_offer):
    provider = ProviderFactory(name="Old Name Care")
    make_offer(BranchFactory(provider=provider), at(2026, 5, 1, 11), "offer_made")
    assert "Old Name Care" in looking()
    provider.name = "New Name Care"
    provider.save()
    page = looking()
    assert "New Name Care" in page and "Old Name Care" not in page


def test_a_setting_changed_is_on_the_next_look(looking):
    assert "Target 95.0%" in looking()
    rules = PortalSettings.load()
    rules.response_rate_target = "0.90"
    rules.save()
    assert "Target 90.0%" in looking()


def test_each_choice_of_page_quarter_and_grouping_is_kept_apart(looking, make_offer):
    for i in range(55):
        branch = BranchFactory(provider=ProviderFactory(name=f"Paged provider {i:03d}"))
        make_offer(branch, at(2026, 5, 1, 11), "offer_made")
    assert "Paged provider 054" not in looking()
    assert "Paged provider 054" in looking(page=2)
    assert "Paged provider 054" not in looking(page=1)


def test_the_clock_moving_past_the_keep_works_it_out_again(looking):
    looking()
    later = changes.time.time() + dashboard_pages.KEEP_SECONDS
    with (
        mock.patch.object(changes.time, "time", return_value=later),
        CaptureQueriesContext(connection) as worked_out,
    ):
        looking()
    assert len(worked_out) > 3


def test_a_change_moves_the_number_at_once_and_again_after_its_commit(
    django_capture_on_commit_callbacks,
):
    """In the writer's transaction at each change (its own reads see it), and once more after
    the commit (a reader in between may have kept the figures without it): one callback for the
    transaction however many changes it makes."""
    before = changes.version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ProviderFactory()
        assert changes.version() > before
        inside = changes.version()
        audit_bulk(actor=None, action="test.bulk", model=Provider, ids=[1, 2])
        assert changes.version() == inside + 1
        at_commit = changes.version()
    assert [c.__name__ for c in callbacks] == ["_move"]
    assert changes.version() == at_commit + 1


def test_sessions_and_sign_in_records_do_not_move_it(client, carl):
    before = changes.version()
    client.get("/")  # the session's row and the sign-in log are not what the figures read
    from django.contrib.sessions.models import Session

    Session.objects.create(session_key="x" * 32, session_data="", expire_date=at(2027, 1, 1))
    assert changes.version() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_reader_during_the_writers_transaction_is_put_out_of_use_at_its_commit(
    client, carl
):
    """A look between the writer's change and its commit works the page out without the change
    and keeps it under the number the change moved; the commit moves the number again, so the
    next look is worked out afresh and shows the change (two real connections)."""
    import threading

    from django.db import transaction

    client.force_login(carl)
    provider = ProviderFactory(name="Before Care")
    client.get("/kpi/dashboard/")  # the settings' rows made, as in any running portal
    changed, committed = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                Provider.objects.filter(pk=provider.pk).update(name="After Care")
                changes.changed()
                changed.set()
                committed.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert changed.wait(10)
    during = changes.version()
    client.get("/kpi/dashboard/")  # worked out without the change, kept under `during`
    with CaptureQueriesContext(connection) as kept:
        client.get("/kpi/dashboard/")
    committed.set()
    thread.join(10)
    assert len(kept) == 3 and changes.version() == during + 1
    with CaptureQueriesContext(connection) as next_look:
        client.get("/kpi/dashboard/")
    assert len(next_look) > 3  # worked out afresh, with the change


def test_a_migrations_historical_models_do_not_move_it():
    """A data migration may save rows before `core.changes`' number exists (a fresh database
    migrates in dependency order): its historical models are left out."""
    from django.apps import apps
    from django.db.migrations.state import ProjectState

    state = ProjectState.from_apps(apps)
    historical = state.apps.get_model("providers", "Provider")
    assert historical.__module__ == "__fake__"
    before = changes.version()
    historical.objects.create(ref="HX", name="Historical Care")
    assert changes.version() == before
