from core.management.as_of import AsOfCommand

from ...services import kpi_triggers_escalate


class Command(AsOfCommand):
    help = "Raises a trigger for each KPI return late or missing by --as-of (default now) (K7)."
    job_name = "escalate_kpi_triggers"

    def run(self, moment) -> str:
        return str(kpi_triggers_escalate(as_of=moment))
