"""`manage.py import_register FILE`: providers, branches and their ward coverage from CSV (W2, W4)."""

from django.core.management.base import BaseCommand

from wards.services import register_import

from ._csvfile import run_import


class Command(BaseCommand):
    help = (
        "Import the ward register from CSV: provider_ref,provider_name,branch_ref,branch_name,"
        "ward_code, optionally notification_email, cqc_rating, senior_manager_email, joined_on. "
        "Creates providers and branches as needed and publishes one register version (W4)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the CSV file")
        parser.add_argument("--note", default="", help="the note on the register version")

    def handle(self, *args, file: str, note: str, **options):
        result = run_import(file, register_import, self.stderr, note=note)
        version = result.version
        published = (
            f"published register v{version.number} ({version.added} added, "
            f"{version.removed} removed)"
            if version
            else "register unchanged (no change)"
        )
        self.stdout.write(
            f"Imported register: {result.providers_created} providers created, "
            f"{result.branches_created} branches created; {published}"
        )
