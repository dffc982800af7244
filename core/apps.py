from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _ensure_schedules(sender, using="default", **kwargs) -> None:
    """After `migrate` (and test flushes), create missing beat schedules; edits are kept."""
    from .schedules import ensure_schedules

    ensure_schedules(using=using)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Audit trail and shared tools"

    def ready(self) -> None:
        from . import changes

        changes.connect()
        # Only for django_celery_beat's own post_migrate, so it runs once, after its tables exist.
        post_migrate.connect(
            _ensure_schedules,
            sender=apps.get_app_config("django_celery_beat"),
            dispatch_uid="core.ensure_schedules",
        )
