from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import verification_views, views

# Django's password-reset views find each other by these un-namespaced names.
urlpatterns = [
    path("accounts/", views.my_pages, name="my-pages"),
    path("accounts/signup/", verification_views.signup, name="signup"),
    path("accounts/signup/sent/", verification_views.signup_sent, name="signup-sent"),
    path("accounts/verify/", verification_views.resend_verification, name="resend-verification"),
    path("accounts/verify/<str:token>/", verification_views.verify_email, name="verify-email"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.second_factor_verify, name="second-factor-verify"),
    path("accounts/two-factor/setup/", views.second_factor_setup, name="second-factor-setup"),
    path("accounts/password-reset/", views.password_reset_view, name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
