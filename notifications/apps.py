from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications: the e-mail outbox"

    def ready(self) -> None:
        # Register the outbox's tasks in every process, so the outbox can hand e-mails to them by
        # name (eagerly in tests) without importing them.
        from . import tasks  # noqa: F401
