from django.urls import path

from . import views

app_name = "kpi"
urlpatterns = [
    path("my/", views.my_kpis, name="my"),
    path("my/offers/", views.my_offers, name="my-offers"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/<slug:figure>.csv", views.dashboard_csv, name="dashboard-csv"),
    path("response-rates.csv", views.response_rates_csv, name="rates-csv"),
    path("returns/", views.return_list, name="returns"),
    path("returns/new/", views.return_upload, name="return-upload"),
    path("returns/<int:pk>/", views.return_detail, name="return"),
    path("triggers/", views.trigger_list, name="triggers"),
    path("triggers/<str:ref>/reset/", views.trigger_reset, name="trigger-reset"),
    path("risk/", views.risk_list, name="risk"),
    path("risk/<str:ref>/", views.risk_detail, name="risk-detail"),
    path("settings/", views.kpi_settings, name="settings"),
]
