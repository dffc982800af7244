"""`manage.py rebuild_kpi_summary [--as-of T] [--all]`: recount the kept response counts, K12's
market gaps and ward health's day counts (issue 13) and the weekly hours each provider holds (L1 market share, issue 10)."""

from django.db import transaction

from brokerage import holdings
from brokerage.counts import rebuild, rebuild_gaps, rebuild_wards
from core.management.as_of import AsOfCommand


class Command(AsOfCommand):
    help = (
        "Recounts the kept K1/K4 response counts (brokerage ResponseCount), K11's medians per "
        "provider and quarter, the market's answer times (AnswerTimeCount) and K12's market gaps "
        "per package and quarter (GapCount) and ward health's per package and day (WardDayCount) "
        "from the offers, for "
        "every quarter not closed at --as-of (default now; closed: ended over 35 days before, "
        "never changed), or every quarter with --all; and the weekly hours each provider holds "
        "(brokerage ProviderHours, L1) from the awards. Safe to repeat; one transaction."
    )
    job_name = "rebuild_kpi_summary"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--all", action="store_true", help="Recount closed quarters too (after a bulk load)."
        )

    def handle(self, *args, **options):
        self.everything = options.pop("all", False)
        return super().handle(*args, **options)

    def run(self, moment) -> str:
        with transaction.atomic():
            since, rows = rebuild(as_of=moment, everything=self.everything)
            rows += rebuild_gaps(as_of=moment, everything=self.everything)
            rows += rebuild_wards(as_of=moment, everything=self.everything)
            held = holdings.rebuild()
        scope = "every quarter" if since is None else f"offers sent from {since:%-d %B %Y}"
        return (
            f"Response counts, K11's medians and answer times, K12's market gaps and ward health's "
            f"day counts rebuilt for "
            f"{scope}: {rows} rows; "
            f"hours held by {held} providers."
        )
