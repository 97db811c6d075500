import os

from django.core.wsgi import get_wsgi_application

# Fail closed: whatever serves the public or runs tasks gets production
# settings unless told otherwise (only manage.py defaults to dev).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopefund.settings.production")

application = get_wsgi_application()
