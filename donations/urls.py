from django.urls import path

from donations import views

app_name = "donations"

urlpatterns = [
    path("api/donations/", views.create_donation, name="create"),
    path("api/setup-intents/", views.create_setup_intent, name="setup-intent"),
    path("api/fee-cover/", views.fee_cover, name="fee-cover"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
    path("monthly/<str:token>/", views.manage_plan, name="manage-plan"),
    path("gift-aid/cancel/<str:token>/", views.cancel_gift_aid, name="cancel-gift-aid"),
]
