from django.urls import path

from . import views

app_name = "brokerage"
urlpatterns = [
    path("packages/", views.package_list, name="packages"),
    path("packages/new/", views.package_create, name="package-create"),
    path("packages/<int:pk>/", views.package_detail, name="package"),
    path("packages/<int:pk>/edit/", views.package_edit, name="package-edit"),
    path("packages/<int:pk>/queue/", views.package_queue, name="package-queue"),
    path("packages/<int:pk>/send-now/", views.package_send_now, name="package-send-now"),
    path("packages/<int:pk>/withdraw/", views.package_withdraw, name="package-withdraw"),
    path("packages/<int:pk>/cancel/", views.package_cancel, name="package-cancel"),
    path("packages/<int:pk>/end/", views.package_end, name="package-end"),
    path("claims/", views.claim_list, name="claims"),
    path("claims/export.csv", views.claim_list_csv, name="claims-csv"),
    path("packages/<int:pk>/widen/", views.package_widen, name="package-widen"),
    path("packages/hard-to-place/", views.packages_hard_to_place, name="hard-to-place"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/new/", views.batch_create, name="batch-create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/send/", views.batch_send, name="batch-send"),
    path("offers/", views.offer_inbox, name="inbox"),
    path("offers/history/", views.offer_history, name="history"),
    path("offers/history.csv", views.offer_history_csv, name="history-csv"),
    path("offers/<int:pk>/", views.offer_detail, name="offer"),
    path("branches/<int:pk>/notifications/", views.branch_notifications, name="notifications"),
    path("branches/<int:pk>/capacity/", views.branch_capacity, name="branch-capacity"),
    path("capacity/", views.capacity_overview, name="capacity"),
]
