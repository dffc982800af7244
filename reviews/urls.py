from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("", views.review_list, name="list"),
    path("export.csv", views.review_list_csv, name="csv"),
    path("due/", views.due_list, name="due"),
    path("delegate/", views.delegate, name="delegate"),
    path("delegate-due/", views.delegate_due, name="delegate-due"),
    path("returned/", views.returned_list, name="returned"),
    path("<int:pk>/", views.review_detail, name="review"),
    path("<int:pk>/complete/", views.complete, name="complete"),
    path("<int:pk>/sign-off/", views.sign_off, name="sign-off"),
]
