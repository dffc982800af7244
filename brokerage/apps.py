from django.apps import AppConfig


class BrokerageConfig(AppConfig):
    name = "brokerage"
    verbose_name = "Brokerage: packages and offers"

    def ready(self):
        # Issue 13: every Offer.save() moves the response counts (brokerage/counts.py).
        from . import counts  # noqa: F401
