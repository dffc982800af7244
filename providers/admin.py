from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Branch, Provider, User


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0
    fields = ("ref", "name", "notification_email", "is_active")


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("ref", "name", "pdps_status", "cqc_rating", "joined_on")
    list_filter = ("pdps_status", "cqc_rating")
    search_fields = ("ref", "name")
    inlines = [BranchInline]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("ref", "name", "provider", "notification_email", "is_active")
    list_filter = ("is_active", "provider__pdps_status")
    search_fields = ("ref", "name", "provider__name", "provider__ref")
    list_select_related = ("provider",)
    autocomplete_fields = ("provider",)

    def get_readonly_fields(self, request, obj=None):
        """A branch's provider is set when it is made: its offers and e-mails carry that provider
        (A1 scopes by it), and on PostgreSQL a foreign key holds them to it (issue 13)."""
        return ("provider",) if obj is not None else ()


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "provider", "branch", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Portal role", {"fields": ("role", "provider", "branch")}))
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Portal role", {"fields": ("role", "provider", "branch")}),
    )
    autocomplete_fields = ("provider", "branch")
