from django.urls import path

from donors import views

app_name = "donors"

urlpatterns = [
    path("donor/", views.portal, name="portal"),
]
