from django.apps import AppConfig


class BrokerageConfig(AppConfig):
    name = "brokerage"
    verbose_name = "Brokerage: packages and offers"

    def ready(self):
        # Issue 13: every Offer.save() moves the response counts (brokerage/counts.py); issue 10:
        # an awarded one the hours held (brokerage/holdings.py).
        from . import counts, holdings  # noqa: F401
