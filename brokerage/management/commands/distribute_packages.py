from core.management.as_of import AsOfCommand

from ...distribution import distribute_packages


class Command(AsOfCommand):
    help = "The daily distribution (P3-P7) as if run at --as-of (default now)."
    job_name = "distribute_packages"

    def run(self, moment) -> str:
        return str(distribute_packages(as_of=moment, source="command"))
