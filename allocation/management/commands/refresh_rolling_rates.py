from core.management.as_of import AsOfCommand

from ...rates import refresh_rolling_rates


class Command(AsOfCommand):
    help = "Stores every provider's rolling 90-day response rate at --as-of (K3, read by L1)."
    job_name = "refresh_rolling_rates"

    def run(self, moment) -> str:
        stored = refresh_rolling_rates(as_of=moment)
        return f"rolling 90-day rates stored for {len(stored.counts)} provider(s)"
