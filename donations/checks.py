"""Start-up checks for donations."""

from django.core.checks import Error, register

from donations.services import effects


@register()
def receipt_hooks_are_registered(app_configs, **kwargs):
    """A paid gift must get its receipt in its own transaction; without the
    receipts app's hooks every gift would fail to succeed (effects raises)."""
    return [
        Error(
            f"No receipt hook is registered for {moment!r} gifts.",
            hint="Install the receipts app: ReceiptsConfig.ready() registers its hooks with "
            "donations.services.effects.register.",
            id="hopefund.E001",
        )
        for moment in effects.moments_without_receipt_hook()
    ]
