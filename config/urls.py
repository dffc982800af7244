from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from accounts.api import TokenObtainView
from core import views as core_views
from core.settings_api import SettingsView

api_v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("settings/", SettingsView.as_view(), name="settings-api"),
    path("", include("wards.api_urls")),
    path("", include("providers.api_urls")),
    path("", include("allocation.api_urls")),
    path("", include("brokerage.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("kpi.api_urls")),
    path("", include("reviews.api_urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("sign-in/", auth_views.LoginView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("account/", include("accounts.urls")),
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("password-reset/", account_views.PasswordReset.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        account_views.PasswordResetDone.as_view(),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirm.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        account_views.PasswordResetComplete.as_view(),
        name="password-reset-complete",
    ),
    path("settings/", core_views.portal_settings, name="settings"),
    path("providers/", include("providers.urls")),
    path("wards/", include("wards.urls")),
    path("ward-health/", include("brokerage.ward_health_urls")),
    path("", include("allocation.urls")),
    path("", include("brokerage.urls")),
    path("", include("notifications.urls")),
    path("kpi/", include("kpi.urls")),
    path("reviews/", include("reviews.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

admin.site.site_header = "Homecare brokerage portal administration"
admin.site.site_title = "Homecare portal admin"
