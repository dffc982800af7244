from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from ...services import kpi_triggers_escalate


class Command(BaseCommand):
    help = "Raises a trigger for each KPI return late or missing by --as-of (default now) (K7)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", dest="as_of", help="ISO 8601 date-time; Europe/London if no offset"
        )

    def handle(self, *args, as_of=None, **options):
        try:
            moment = parse_moment(as_of) if as_of else timezone.now()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with job_run("escalate_kpi_triggers", moment) as run:
            run["summary"] = str(kpi_triggers_escalate(as_of=moment))
        self.stdout.write(run["summary"])
