from django.urls import path

from .api import AwardView, ShortlistView

urlpatterns = [
    path("packages/<int:pk>/shortlist/", ShortlistView.as_view(), name="package-shortlist"),
    path("packages/<int:pk>/award/", AwardView.as_view(), name="package-award"),
]
