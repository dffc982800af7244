from django.contrib import admin

from .models import Coverage, RegisterVersion, Ward


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "district")
    list_filter = ("district",)
    search_fields = ("code", "name")


@admin.register(Coverage)
class CoverageAdmin(admin.ModelAdmin):
    """Read-only here: coverage changes go through ward requests or imports, which publish versions."""

    list_display = ("branch", "ward", "started_at", "ended_at", "added_in", "removed_in")
    list_filter = ("ward__district",)
    search_fields = ("branch__name", "branch__provider__name", "ward__code", "ward__name")
    list_select_related = ("branch__provider", "ward")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RegisterVersion)
class RegisterVersionAdmin(admin.ModelAdmin):
    list_display = ("number", "published_at", "published_by", "added", "removed", "note")
    readonly_fields = ("number", "published_at", "published_by", "added", "removed", "note")

    def has_add_permission(self, request):
        return False
