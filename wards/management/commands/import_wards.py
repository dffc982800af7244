"""`manage.py import_wards FILE`: the council's master list of wards from CSV (W1, W4)."""

from django.core.management.base import BaseCommand

from wards.services import wards_import

from ._csvfile import run_import


class Command(BaseCommand):
    help = "Create or update wards from a CSV file with columns ward_code,ward_name,district (W4)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the CSV file")

    def handle(self, *args, file: str, **options):
        result = run_import(file, wards_import, self.stderr)
        self.stdout.write(
            f"Imported wards: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
