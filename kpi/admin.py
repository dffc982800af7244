from django.contrib import admin

from .models import (
    ActionPlan,
    DiscountedQuarter,
    FirstDueQuarter,
    KpiReturn,
    KpiSettings,
    KpiTrigger,
    RiskProfile,
    TriggerReset,
)


@admin.register(KpiSettings)
class KpiSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "return_due_days",
        "late_start_minutes",
        "travel_allowance_minutes",
        "hourly_rate",
    ]


@admin.register(DiscountedQuarter)
class DiscountedQuarterAdmin(admin.ModelAdmin):
    list_display = ["quarter", "reason", "created_at"]


@admin.register(FirstDueQuarter)
class FirstDueQuarterAdmin(admin.ModelAdmin):
    list_display = ["provider", "quarter", "reason"]


@admin.register(KpiReturn)
class KpiReturnAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "quarter",
        "submitted_at",
        "late",
        "visits",
        "missed",
        "late_starts",
        "length_compliance",
    ]
    list_filter = ["quarter", "late"]
    readonly_fields = [f.name for f in KpiReturn._meta.fields]


@admin.register(KpiTrigger)
class KpiTriggerAdmin(admin.ModelAdmin):
    list_display = ["provider", "quarter", "level", "missing", "created_at", "reset"]
    list_filter = ["level", "quarter"]
    readonly_fields = [f.name for f in KpiTrigger._meta.fields]


admin.site.register(TriggerReset)
admin.site.register(RiskProfile)
admin.site.register(ActionPlan)
