"""The shape every scheduled job's command shares (I3): `--as-of` an ISO 8601 moment, recorded as a
job run, with a one-line reason for a bad moment."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment


class AsOfCommand(BaseCommand):
    """Subclasses set `job_name` and implement `run(moment) -> str` (the one-line summary)."""

    job_name = ""

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", dest="as_of", help="ISO 8601 date-time; Europe/London if no offset"
        )

    def run(self, moment: datetime) -> str:
        raise NotImplementedError

    def handle(self, *args, as_of=None, **options):
        try:
            moment = parse_moment(as_of) if as_of else timezone.now()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with job_run(self.job_name, moment) as state:
            state["summary"] = self.run(moment)
        self.stdout.write(state["summary"])
