"""The stored K3 figures L1 reads: each provider's rolling 90-day response rate, counted by the KPI
selector once a day (and on demand), so a shortlist reads one row instead of recounting the market."""

from __future__ import annotations

from django.db import models


class RollingRates(models.Model):
    """One count of every provider's rolling 90-day K1 figures, as `kpi.selectors.provider_rates`
    gave them at `as_of`, with the market median; the newest row is the one L1 reads."""

    as_of = models.DateTimeField(db_index=True)
    taken_at = models.DateTimeField(auto_now_add=True)
    median = models.FloatField(null=True, blank=True)
    # {provider id: [offers counted, responded]}; the rate is responded / offers.
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = verbose_name_plural = "rolling response rates"

    def __str__(self) -> str:
        return f"Rolling 90-day response rates at {self.as_of:%Y-%m-%d %H:%M}"
