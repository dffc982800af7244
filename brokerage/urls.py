from django.urls import path

from . import views

app_name = "brokerage"
urlpatterns = [
    path("offers/<int:pk>/", views.offer_detail, name="offer"),
]
