from django.urls import path

from finance.views import overview

app_name = "finance"

urlpatterns = [
    path("", overview.overview, name="overview"),
]
