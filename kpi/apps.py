from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = "KPIs, returns, triggers and risk"

    def ready(self) -> None:
        from brokerage.counts import Exclusion, Medians

        # Register the tasks in every process, so that a service can queue a large return file's
        # reading by the task's name (services never import tasks).
        from . import tasks  # noqa: F401
        from .models import upheld_challenge
        from .response_times import median_hours

        # K10: the kept response counts (brokerage, below kpi) learn which offers an upheld
        # challenge leaves out of K1, so a recount counts them as the selectors do.
        Exclusion.expression = upheld_challenge
        # K11: a rebuild of the kept medians takes them from the reference recount.
        Medians.of = median_hours
