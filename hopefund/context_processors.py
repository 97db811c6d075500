from django.conf import settings


def organisation(request) -> dict:
    return {"org_name": settings.ORG_NAME}
