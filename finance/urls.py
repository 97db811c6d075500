from django.urls import path

from finance.views import export, imports, moves, overview, payouts

app_name = "finance"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("imports/", imports.imports_page, name="imports"),
    path("imports/example.csv", imports.import_example, name="import-example"),
    path("imports/<uuid:public_id>/", imports.import_detail, name="import-detail"),
    path("imports/<uuid:public_id>/status/", imports.import_status, name="import-status"),
    path("payouts/", payouts.payout_list, name="payouts"),
    path("payouts/fetch/", payouts.fetch_payouts, name="payouts-fetch"),
    path("payouts/<str:stripe_payout_id>/", payouts.payout_detail, name="payout-detail"),
    path("export/", export.export_gifts, name="export"),
    path("moves/", moves.gift_moves, name="moves"),
]
