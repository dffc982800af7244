from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = "KPIs, returns, triggers and risk"

    def ready(self) -> None:
        # Register the tasks in every process, so that a service can queue a large return file's
        # reading by the task's name (services never import tasks).
        from . import tasks  # noqa: F401
