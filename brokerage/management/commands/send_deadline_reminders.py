from core.management.as_of import AsOfCommand

from ...reminders import offers_remind


class Command(AsOfCommand):
    help = "Reminds branches of offers still unanswered near their deadline at --as-of (P10)."
    job_name = "send_deadline_reminders"

    def run(self, moment) -> str:
        return f"{offers_remind(as_of=moment)} reminder(s) recorded"
