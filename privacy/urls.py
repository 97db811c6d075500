from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("donor/my-data/", views.my_data, name="my-data"),
]
