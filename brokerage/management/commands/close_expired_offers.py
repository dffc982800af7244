from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from ...services import offers_close_expired


class Command(BaseCommand):
    help = "Marks offers whose deadline passed by --as-of (default now) as No Response (P6, P9)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", dest="as_of", help="ISO 8601 date-time; Europe/London if no offset"
        )

    def handle(self, *args, as_of=None, **options):
        try:
            moment = parse_moment(as_of) if as_of else timezone.now()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with job_run("close_expired_offers", moment) as run:
            count = offers_close_expired(as_of=moment)
            run["summary"] = f"{count} offer(s) closed as No Response"
        self.stdout.write(f"{count} offer(s) closed as No Response")
