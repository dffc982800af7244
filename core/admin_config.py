"""Django's admin, with the audited site as `admin.site` (I4: every admin change audited)."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "core.admin_audit.AuditedAdminSite"
