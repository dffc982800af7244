"""Issue 13, goal 2: the package queue's, the inbox's and the history's table rows are written in
Python (`brokerage.views.rows`), one `format_html` a row. Every value in them is escaped, the
links go where they should, and the markup is the templates' own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from brokerage.views.rows import (
    answered_table_rows,
    history_table_rows,
    package_table_rows,
    waiting_table_rows,
)

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def package(**fields) -> dict:
    return {
        "id": 7,
        "reference": f"PKG-{SCRIPT}",
        "urgency": "urgent",
        "status": "queued",
        "uncovered_at": NOW,
        "service_level": "homecare_single",
        "hours_per_week": Decimal("4.50"),
        "start_date": date(2026, 3, 9),
        "ward__name": f"Ward {SCRIPT}",
        "ward__code": 'E05"&',
        "ward__district": "Preston & <i>",
        "offers_sent": 10,
        "offers_made": 3,
    } | fields


def offer(**fields) -> dict:
    return {
        "id": 42,
        "urgent": True,
        "batch_id": 5,
        "sent_at": NOW - timedelta(hours=2),
        "deadline": NOW + timedelta(hours=3),
        "placement_response": None,
        "outcome": "open",
        "offered_start_date": None,
        "reason": "",
        "package__reference": f"PKG-{SCRIPT}",
        "package__postcode": "PR1 4AB",
        "package__service_level": "homecare_single",
        "package__hours_per_week": Decimal("10.00"),
        "package__ward__name": f"Ward {SCRIPT}",
        "package__ward__code": "E05<b>",
        "branch__name": f"Branch {SCRIPT}",
        "provider__name": f"Provider {SCRIPT}",
    } | fields


def test_a_package_row_is_the_templates_markup_with_every_value_escaped():
    [row] = package_table_rows([package()])
    assert "<script>" not in row and "<i>" not in row
    assert row == (
        '\n    <tr class="govuk-table__row">'
        f'\n      <td class="govuk-table__cell"><a class="govuk-link" href="'
        f'{reverse("brokerage:package", args=[7])}">PKG-{ESCAPED}</a>'
        ' <strong class="govuk-tag govuk-tag--red">Urgent</strong></td>'
        f'\n      <td class="govuk-table__cell">Ward {ESCAPED}<br><span class="govuk-body-s">'
        "E05&quot;&amp;, Preston &amp; &lt;i&gt;</span></td>"
        '\n      <td class="govuk-table__cell">Homecare – Single Carer</td>'
        '\n      <td class="govuk-table__cell govuk-table__cell--numeric">4.50</td>'
        '\n      <td class="govuk-table__cell">9 Mar 2026</td>'
        '\n      <td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--blue">Queued'
        '</strong><br><strong class="govuk-tag govuk-tag--red portal-tag-stack">No branch covers'
        " this ward</strong></td>"
        '\n      <td class="govuk-table__cell govuk-table__cell--numeric">3 of 10</td>'
        "\n    </tr>\n  "
    )


def test_a_package_row_without_offers_urgency_or_a_gap():
    [row] = package_table_rows(
        [package(urgency="standard", status="draft", offers_sent=0, offers_made=0)]
    )
    assert "Urgent" not in row and "No branch covers" not in row
    assert 'numeric">–</td>' in row and "govuk-tag--grey" in row


@pytest.mark.parametrize("rows", [waiting_table_rows, answered_table_rows])
def test_an_inbox_row_escapes_its_values_and_links_the_offer_and_its_batch(rows):
    [row] = rows([offer()], show_branch=True, now=NOW, warning=6 * 3600)
    assert "<script>" not in row and "<b>" not in row
    assert row.count(ESCAPED) == 4  # the reference twice (link, batch), the ward, the branch
    assert (
        f'<a class="govuk-link" href="{reverse("brokerage:offer", args=[42])}">PKG-{ESCAPED}</a>'
        in row
    )
    assert (
        f'<br><a class="govuk-link govuk-body-s" href="{reverse("brokerage:batch", args=[5])}">'
        f'Batch 5<span class="govuk-visually-hidden"> for PKG-{ESCAPED}</span></a>'
    ) in row
    assert f'<td class="govuk-table__cell">Branch {ESCAPED}</td>' in row
    assert "3 hours left" in row and "Deadline soon" in row
    assert (
        f'<td class="govuk-table__cell">Ward {ESCAPED}<br><span class="govuk-body-s">PR1</span></td>'
        in row
    )


def test_the_waiting_row_is_the_templates_markup():
    [row] = waiting_table_rows(
        [
            offer(
                urgent=False,
                batch_id=None,
                package__reference="PKG-1",
                package__ward__name="Fishwick",
                branch__name="Preston",
            )
        ],  # fmt: skip
        show_branch=False,
        now=NOW,
        warning=3600,
    )
    assert row == (
        '\n    <tr class="govuk-table__row">'
        f'\n      <td class="govuk-table__cell"><a class="govuk-link" href="'
        f'{reverse("brokerage:offer", args=[42])}">PKG-1</a></td>'
        '\n      <td class="govuk-table__cell">14:00, 2 Mar 2026<br><span class="govuk-body-s">'
        "3 hours left</span></td>"
        '\n      <td class="govuk-table__cell">Fishwick<br><span class="govuk-body-s">PR1</span></td>'
        '\n      <td class="govuk-table__cell">Homecare – Single Carer</td>'
        '\n      <td class="govuk-table__cell govuk-table__cell--numeric">10</td>'
        "\n      \n    </tr>\n  "
    )


def test_an_answered_row_whose_deadline_passed_waits_for_the_council():
    [row] = answered_table_rows(
        [
            offer(
                placement_response="offer_made",
                offered_start_date=date(2026, 3, 9),
                deadline=NOW - timedelta(minutes=1),
            )
        ],  # fmt: skip
        show_branch=False,
        now=NOW,
        warning=3600,
    )
    assert "Deadline passed; waiting for the council's decision</td>" in row
    assert '<br><span class="govuk-body-s">Start 9 Mar 2026</span>' in row
    assert "Branch" not in row


def test_a_history_row_escapes_the_branch_and_the_provider_for_the_council():
    [row] = history_table_rows(
        [offer(placement_response="unable_to_accept", reason="no_capacity", outcome="withdrawn")],
        show_branch=True,
        show_provider=True,
    )
    assert "<script>" not in row and "<b>" not in row
    assert (
        f'<td class="govuk-table__cell">Branch {ESCAPED}<br><span class="govuk-body-s">'
        f"Provider {ESCAPED}</span></td>"
    ) in row
    assert f'href="{reverse("brokerage:offer", args=[42])}">PKG-{ESCAPED}</a>' in row
    assert "Batch" not in row  # the history links the offer alone
    assert f'Ward {ESCAPED}<br><span class="govuk-body-s">E05&lt;b&gt;, PR1</span>' in row
    assert '<span class="govuk-body-s">10 hours a week</span>' in row
    assert '<td class="govuk-table__cell">2 Mar 2026</td>' in row
    assert "govuk-tag--orange" in row and '<br><span class="govuk-body-s">' in row


def test_a_history_row_for_a_provider_shows_no_provider():
    [row] = history_table_rows([offer()], show_branch=True)
    assert f'<td class="govuk-table__cell">Branch {ESCAPED}</td>' in row and "Provider" not in row
    [row] = history_table_rows([offer()], show_branch=False)
    assert "Branch" not in row


@pytest.mark.django_db
def test_the_pages_escape_what_users_typed(client, nina, alice, carl, market, ward, branch_a1):
    """Through the views: a package reference, a ward's name and a branch's name with a script
    in them show escaped on the queue, the inbox and the history (the branch's to the council)."""
    from django.utils import timezone

    from brokerage.distribution import distribute_packages
    from tests.factories import PackageFactory

    ward.name = f"Ward {SCRIPT}"
    ward.save()
    branch_a1.name = f"Branch {SCRIPT}"
    branch_a1.save()
    PackageFactory(reference=f"PKG-{SCRIPT}", ward=ward, status="queued")
    distribute_packages(as_of=timezone.now() - timedelta(hours=1))
    client.force_login(nina)
    queue = client.get(reverse("brokerage:packages")).content.decode()
    assert f"PKG-{ESCAPED}" in queue and f"Ward {ESCAPED}" in queue and SCRIPT not in queue
    for user in (alice, carl):
        client.force_login(user)
        for name in ("brokerage:inbox", "brokerage:history"):
            page = client.get(reverse(name)).content.decode()
            assert f"PKG-{ESCAPED}" in page and f"Ward {ESCAPED}" in page and SCRIPT not in page
            assert f"Branch {ESCAPED}" in page  # the council's branch column; alice's header


def test_a_list_writes_each_deadline_once_and_every_row_its_own_answerability(monkeypatch):
    """Issue 13: a day's distribution gives its offers one deadline, so a list writes each
    deadline's cell once and gives it to every row with that deadline; the rows are the same as
    writing each alone, an answered open offer past its deadline still says the council decides."""
    from brokerage.views import rows as rows_module

    later = NOW + timedelta(hours=30)
    offers = [
        offer(id=1, deadline=NOW + timedelta(hours=3)),
        offer(id=2, deadline=NOW + timedelta(hours=3)),
        offer(id=3, deadline=later),
        offer(id=4, deadline=NOW - timedelta(hours=1), placement_response="offer_made"),
    ]
    alone = [answered_table_rows([o], show_branch=False, now=NOW, warning=6 * 3600) for o in offers]
    written = []
    real = rows_module.deadline_html
    monkeypatch.setattr(
        rows_module, "deadline_html", lambda *a, **k: written.append(a[0]) or real(*a, **k)
    )
    together = answered_table_rows(offers, show_branch=False, now=NOW, warning=6 * 3600)
    assert together == [row for [row] in alone]
    assert len(written) == 3  # three deadlines among four offers
    assert "3 hours left" in together[0] and "1 day 6 hours left" in together[2]
    assert "waiting for the council" in together[3]
