"""The headers every answer carries against injected scripts, framing and
powerful browser features: Content-Security-Policy (django-csp, with
CONTENT_SECURITY_POLICY in settings) and Permissions-Policy.
Referrer-Policy is Django's own (SECURE_REFERRER_POLICY)."""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

from core import captcha

# Stripe.js loads its frames (the card field, 3-D Secure) from these, and
# helper scripts from subdomains of js.stripe.com (Stripe's CSP guide).
STRIPE_FRAME_ORIGINS = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
STRIPE_SCRIPT_SUBDOMAINS = "https://*.js.stripe.com"

# Payments only from our pages and Stripe's frames; the rest is never used.
PERMISSIONS_POLICY = ", ".join(
    [
        'payment=(self "https://js.stripe.com")',
        "camera=()",
        "microphone=()",
        "geolocation=()",
        "usb=()",
        "accelerometer=()",
        "gyroscope=()",
        "magnetometer=()",
    ]
)


def origin(url: str) -> str:
    """'http://127.0.0.1:8420/js.stripe.com/v3/' -> 'http://127.0.0.1:8420'."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def third_party_sources() -> dict[str, list[str]]:
    """What CONTENT_SECURITY_POLICY's own directives get added: Stripe.js
    from wherever STRIPE_JS_URL points (localstripe's fake in dev and
    tests, js.stripe.com in production), the Stripe API it calls, and the
    configured CAPTCHA provider's widget, and the CSP_EXTRA_*_ORIGINS
    lists. Read on every request, so the policy always allows what the
    page was given."""
    stripe_js = origin(settings.STRIPE_JS_URL)
    sources = {
        "script-src": [stripe_js, STRIPE_SCRIPT_SUBDOMAINS, *settings.CSP_EXTRA_SCRIPT_ORIGINS],
        "frame-src": [stripe_js, *STRIPE_FRAME_ORIGINS, *settings.CSP_EXTRA_FRAME_ORIGINS],
        "connect-src": [origin(settings.STRIPE_API_BASE), *settings.CSP_EXTRA_CONNECT_ORIGINS],
    }
    for directive, origins in captcha.PAGE_SOURCES.get(captcha.provider(), {}).items():
        sources[directive] = [*sources.get(directive, []), *origins]
    return sources


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with third_party_sources() added to the
    enforced policy (and to whatever a view's @csp_update adds)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            sources = third_party_sources()
            for directive, values in (parts.update or {}).items():
                values = [values] if isinstance(values, str) else list(values)
                sources[directive] = [*sources.get(directive, []), *values]
            parts.update = sources
        return parts


def permissions_policy(get_response):
    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware
