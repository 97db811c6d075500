from django.urls import path

from receipts import views

app_name = "receipts"

urlpatterns = [
    path("receipts/<str:token>/pdf/", views.receipt_pdf, name="pdf"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
