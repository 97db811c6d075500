from django.urls import path

from finance.views import imports, overview

app_name = "finance"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("imports/", imports.imports_page, name="imports"),
    path("imports/example.csv", imports.import_example, name="import-example"),
    path("imports/<uuid:public_id>/", imports.import_detail, name="import-detail"),
    path("imports/<uuid:public_id>/status/", imports.import_status, name="import-status"),
]
