from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from hopefund.api_schema import api_schema
from hopefund.email_webhook import tracking_webhook
from hopefund.health import healthz

# The friendly 500 page, and a 503 for a database outage that no view met;
# JSON for both, and for a 404, on the JSON paths.
handler404 = "hopefund.outages.page_not_found"
handler500 = "hopefund.outages.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/schema/", api_schema, name="api-schema"),
    # Ahead of the admin's own login view, which has no rate limit.
    path("admin/login/", include("accounts.admin_urls")),
    path("admin/", admin.site.urls),
    path("", include("donations.urls")),
    path("", include("pages.urls")),
    path("", include("accounts.urls")),
    path("", include("receipts.urls")),
    path("", include("donors.urls")),
    path("", include("privacy.urls")),
    path("finance/", include("finance.urls")),
    path("anymail/<str:esp>/tracking/", tracking_webhook, name="email-tracking-webhook"),
]
# Fundraiser photos, served by Django only when DEBUG is on (static() is
# empty otherwise); production serves MEDIA_ROOT from its web server or a
# storage service.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
