"""The outbox in the admin: read-only, so an administrator sees every e-mail, its state, tries
and last error (P7), and a stuck one is left to the resend job rather than edited by hand."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "state", "attempts", "sent_at"]
    list_filter = ["kind", "state"]
    search_fields = ["to_email", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["provider", "branch"]
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
