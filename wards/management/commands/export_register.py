"""`manage.py export_register [--version N] [FILE|-]`: the register as CSV in the import's format."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.csvio import csv_writer
from wards.models import RegisterVersion
from wards.services import register_current_version, register_export_rows


class Command(BaseCommand):
    help = "Write the ward register (the version in force, or --version N) as CSV (W2, W4)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version N` is the register version (API.md), so it replaces Django's own --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default="-", help="where to write; - for stdout")
        parser.add_argument("--version", dest="number", type=int, help="register version number")

    def handle(self, *args, file: str, number: int | None, **options):
        if number is not None and not RegisterVersion.objects.filter(number=number).exists():
            raise CommandError(
                f"no register version {number}; the latest is v{register_current_version()}"
            )
        rows = register_export_rows(number)
        if file == "-":
            csv_writer(self.stdout, lineterminator="\n").writerows(rows)
            return
        target = Path(file)
        if not target.parent.is_dir():
            raise CommandError(f"no such directory: {target.parent}")
        with target.open("w", newline="", encoding="utf-8") as out:
            csv_writer(out).writerows(rows)
        self.stderr.write(f"Wrote {len(rows) - 1} register rows to {file}")
