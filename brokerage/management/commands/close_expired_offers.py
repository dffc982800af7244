from core.management.as_of import AsOfCommand

from ...services import offers_close_expired


class Command(AsOfCommand):
    help = "Marks offers whose deadline passed by --as-of (default now) as No Response (P6, P9)."
    job_name = "close_expired_offers"

    def run(self, moment) -> str:
        return f"{offers_close_expired(as_of=moment)} offer(s) closed as No Response"
