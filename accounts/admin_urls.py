"""The admin's login page, rate limited like /accounts/login/; mounted at
/admin/login/ ahead of the rest of the admin (hopefund/urls.py)."""

from django.urls import path

from accounts import views

urlpatterns = [path("", views.admin_login_view, name="admin-login")]
