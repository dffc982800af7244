from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "reason")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from .models import JobRun, PortalSettings  # noqa: E402


@admin.register(PortalSettings)
class PortalSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not PortalSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "last_started_at",
        "last_finished_at",
        "last_as_of",
        "runs",
        "last_summary",
    )
    readonly_fields = (
        "name",
        "last_started_at",
        "last_finished_at",
        "last_as_of",
        "runs",
        "last_summary",
    )
