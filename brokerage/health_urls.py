from django.urls import path

from . import health_views

app_name = "ward_health"
urlpatterns = [
    path("", health_views.ward_health_page, name="health"),
    path("cleanse.csv", health_views.cleanse_csv, name="cleanse-csv"),
    path("<str:code>/", health_views.ward_health_detail, name="ward"),
]
