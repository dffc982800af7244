from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("two-factor/", views.verify, name="verify"),
    path("two-factor/set-up/", views.set_up, name="set-up"),
    path("two-factor/set-up/authenticator/", views.totp_set_up, name="totp"),
    path("two-factor/set-up/passkey/", views.passkey_set_up, name="passkey"),
    path("devices/<str:kind>/<int:pk>/remove/", views.device_remove, name="device-remove"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("password/", views.PasswordChange.as_view(), name="password"),
]
