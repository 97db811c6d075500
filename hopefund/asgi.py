import os

from django.core.asgi import get_asgi_application

# Fail closed: whatever serves the public or runs tasks gets production
# settings unless told otherwise (only manage.py defaults to dev).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopefund.settings.production")

application = get_asgi_application()
