from core.management.as_of import AsOfCommand

from ...schedule import distribution_catch_up


class Command(AsOfCommand):
    help = (
        "Runs the daily distribution now if the scheduled run before --as-of (default now) was "
        "missed while the system was down (P5)."
    )
    job_name = "catch_up_distribution"

    def run(self, moment) -> str:
        result = distribution_catch_up(now=moment)
        return str(result) if result else "no run missed"
