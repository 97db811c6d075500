from django.urls import path

from finance.views import payouts

app_name = "finance"

urlpatterns = [
    path("payouts/", payouts.payout_list, name="payouts"),
    path("payouts/fetch/", payouts.fetch_payouts, name="payouts-fetch"),
    path("payouts/<str:stripe_payout_id>/", payouts.payout_detail, name="payout-detail"),
]
