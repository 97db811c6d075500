FROM python:3.11-slim

# Fail closed: the image runs production settings unless told otherwise.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=hopefund.settings.production
WORKDIR /app

# The whole project at once: a list of app folders here would fall behind
# the apps in pyproject.toml.
COPY . .
RUN pip install --no-cache-dir .

# collectstatic needs settings, not secrets: throwaway values for the build only.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    STRIPE_SECRET_KEY=sk_build STRIPE_PUBLISHABLE_KEY=pk_build STRIPE_WEBHOOK_SECRET=whsec_build \
    ORG_NAME=build ORG_TAX_ID=build ORG_ADDRESS=build SITE_URL=https://build.invalid \
    python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 hopefund \
 && mkdir -p /app/var/media && chown -R hopefund /app/var
USER hopefund
EXPOSE 8000
# Workers, threads, timeouts and the token-masking access log: gunicorn.conf.py.
CMD ["gunicorn", "hopefund.wsgi:application"]
