from django.urls import path

from . import ward_health_views

app_name = "ward_health"
urlpatterns = [
    path("", ward_health_views.ward_health_page, name="health"),
    path("cleanse.csv", ward_health_views.cleanse_csv, name="cleanse-csv"),
    path("<str:code>/", ward_health_views.ward_health_detail, name="ward"),
]
