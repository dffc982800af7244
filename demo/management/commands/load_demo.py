"""`manage.py load_demo`: a realistic Lancashire data set with one user per role (API.md)."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.history import load_history
from demo.steps import STEPS, demo_provider, users_table


class Command(BaseCommand):
    help = (
        "Load the Lancashire demo: 12 districts and their wards, ~110 providers with branches and "
        "ward coverage (several register versions) and one user per role. Safe to run again: what "
        "is already there is left alone and the sign-in details are printed again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-history",
            action="store_true",
            help="leave out the year of brokerage history (a quick world, e.g. for the API fuzz run)",
        )

    def handle(self, *args, without_history: bool = False, **options):
        started = time.monotonic()
        steps = [s for s in STEPS if not (without_history and s is load_history)]
        for number, step in enumerate(steps, start=1):
            title = (step.__doc__ or step.__name__).strip().splitlines()[0]
            self.stdout.write(f"[{number}/{len(steps)}] {title}")
            # Each step is all or nothing, so a failed run can simply be run again.
            with transaction.atomic():
                step(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo loaded in {time.monotonic() - started:.1f}s."))
        self.print_credentials()

    def print_credentials(self) -> None:
        provider, branch = demo_provider()
        self.stdout.write("Demo users: sign in at /sign-in/ with")
        for line in users_table(provider, branch):
            self.stdout.write(f"  {line}")
