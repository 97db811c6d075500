"""Who may open a finance page: logged-in people holding the permission.
Anyone else logged in gets 403; visitors are sent to log in."""

from django.contrib.auth.decorators import login_required, permission_required


def finance_permission_required(permission: str):
    def decorate(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorate
