from django.urls import path

from donors.views import plans, portal, preferences

app_name = "donors"

urlpatterns = [
    path("donor/", portal.portal, name="portal"),
    path("donor/plans/<uuid:public_id>/", plans.plan, name="plan"),
    path("donor/plans/<uuid:public_id>/card-setup/", plans.card_setup, name="plan-card-setup"),
    path("donor/preferences/", preferences.preferences, name="preferences"),
]
