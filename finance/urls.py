from django.urls import path  # noqa: F401  (the finance pages add theirs here)

app_name = "finance"

urlpatterns = []
