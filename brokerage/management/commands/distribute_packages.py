from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from ...distribution import distribute_packages


class Command(BaseCommand):
    help = "The daily distribution (P3-P7) as if run at --as-of (default now)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", dest="as_of", help="ISO 8601 date-time; Europe/London if no offset"
        )

    def handle(self, *args, as_of=None, **options):
        try:
            moment = parse_moment(as_of) if as_of else timezone.now()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with job_run("distribute_packages", moment) as run:
            result = distribute_packages(as_of=moment, trigger="command")
            run["summary"] = str(result)
        self.stdout.write(str(result))
