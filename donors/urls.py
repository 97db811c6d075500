from django.urls import path

from donors.views import api, plans, portal, preferences, sign_in

app_name = "donors"

urlpatterns = [
    path("donor/", portal.portal, name="portal"),
    path("donor/receipts/<str:number>/pdf/", portal.receipt_pdf, name="receipt-pdf"),
    path("donor/plans/<uuid:public_id>/", plans.plan, name="plan"),
    path("donor/plans/<uuid:public_id>/card-setup/", plans.card_setup, name="plan-card-setup"),
    path("donor/preferences/", preferences.preferences, name="preferences"),
    path("donor/sign-in/", sign_in.sign_in_page, name="sign-in"),
    path("donor/sign-in/<str:token>/", sign_in.follow_link, name="sign-in-link"),
    path("donor/sign-out/", sign_in.sign_out, name="sign-out"),
    path("api/donor-sign-in/", sign_in.sign_in_api, name="api-sign-in"),
    path("api/donors/me/", api.me, name="api-me"),
]
