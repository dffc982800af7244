from core.management.as_of import AsOfCommand

from ...outbox import notifications_resend


class Command(AsOfCommand):
    help = (
        "Hands to a worker again the e-mails, of every kind, never handed to one, stuck with a dead "
        "worker or overdue for their retry by --as-of (default now) (P7)."
    )
    job_name = "resend_notifications"

    def run(self, moment) -> str:
        return f"{notifications_resend(as_of=moment)} e-mail(s) handed to a worker again"
