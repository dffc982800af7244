from django.urls import path

from . import views

app_name = "providers"
urlpatterns = [
    path("", views.provider_list, name="list"),
    path("<str:ref>/", views.provider_detail, name="detail"),
    path("branches/<int:pk>/", views.branch_detail, name="branch"),
]
