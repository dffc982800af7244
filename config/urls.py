from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from core import views as core_views

api_v1 = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include("wards.api_urls")),
    path("", include("providers.api_urls")),
    path("", include("brokerage.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("kpi.api_urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("sign-in/", auth_views.LoginView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("providers/", include("providers.urls")),
    path("wards/", include("wards.urls")),
    path("ward-health/", include("brokerage.ward_health_urls")),
    path("", include("brokerage.urls")),
    path("", include("notifications.urls")),
    path("kpi/", include("kpi.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

admin.site.site_header = "Homecare brokerage portal administration"
admin.site.site_title = "Homecare portal admin"
