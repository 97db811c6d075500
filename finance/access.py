"""Who may open a finance page: logged-in people holding the permission.
Anyone else logged in gets 403; visitors are sent to log in. Staff and the
Finance group also need their second factor first: the site requires it
before every finance and admin page at once (accounts/middleware.py), so
these decorators need not."""

from django.contrib.auth.decorators import login_required, permission_required


def finance_permission_required(permission: str):
    def decorate(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorate
