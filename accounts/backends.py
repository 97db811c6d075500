from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in with an email address in any case: a User's username is its
    lower-cased email (accounts.services.register)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        return super().authenticate(request, username=username.strip().lower(), password=password, **kwargs)
