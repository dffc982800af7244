from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts: second factors, API tokens, password reset"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the password-change revocation
