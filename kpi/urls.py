from django.urls import path

from . import views

app_name = "kpi"
urlpatterns = [
    path("my/", views.my_kpis, name="my"),
    path("my/offers/", views.my_offers, name="my-offers"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/<slug:figure>.csv", views.dashboard_csv, name="dashboard-csv"),
    path("response-rates.csv", views.response_rates_csv, name="rates-csv"),
    path("market-gaps.csv", views.market_gaps_csv, name="market-gaps-csv"),
    path("returns/", views.return_list, name="returns"),
    path("returns/new/", views.return_upload, name="return-upload"),
    path("returns/<int:pk>/", views.return_detail, name="return"),
    path("returns/uploads/<int:pk>/", views.return_upload_status, name="return-upload-status"),
    path("triggers/", views.trigger_list, name="triggers"),
    path("triggers/<str:ref>/reset/", views.trigger_reset, name="trigger-reset"),
    path("risk/", views.risk_list, name="risk"),
    path("risk/<str:ref>/", views.risk_detail, name="risk-detail"),
    path("risk/<str:ref>/profile/", views.risk_profile_save, name="risk-profile"),
    path("risk/<str:ref>/plan/", views.risk_plan_add, name="risk-plan"),
    path("risk/<str:ref>/plan/status/", views.risk_plan_status, name="risk-plan-status"),
    path("settings/", views.kpi_settings, name="settings"),
    path("settings/discounted/", views.discount_add, name="discount-add"),
    path("settings/discounted/remove/", views.discount_remove, name="discount-remove"),
    path("settings/first-due/", views.first_due_set, name="first-due"),
    path("challenges/", views.challenge_list, name="challenges"),
    path("challenges/<int:pk>/decide/", views.challenge_decide, name="challenge-decide"),
    path("offers/<int:offer>/challenge/", views.challenge_new, name="challenge-new"),
]
