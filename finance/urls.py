from django.urls import path

from finance.views import export

app_name = "finance"

urlpatterns = [
    path("export/", export.export_gifts, name="export"),
]
