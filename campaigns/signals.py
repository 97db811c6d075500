"""Every saved or deleted campaign, amount preset, team, fundraiser, update
or fund, and every renamed fundraiser owner, gives the pages that show it a
new version (campaigns/page_versions.py). Signals, not the services alone, because the
admin edits these models directly; moderation's queryset update, which
sends no signal, bumps in services.set_hidden."""

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from campaigns import page_versions
from campaigns.models import AmountPreset, Campaign, CampaignUpdate, Fund, Fundraiser, Team


@receiver([post_save, post_delete], sender=Campaign)
def campaign_changed(sender, instance, **kwargs):
    page_versions.bump_content([instance.pk])


@receiver([post_save, post_delete], sender=AmountPreset)
@receiver([post_save, post_delete], sender=Team)
@receiver([post_save, post_delete], sender=Fundraiser)
@receiver([post_save, post_delete], sender=CampaignUpdate)
def page_changed(sender, instance, **kwargs):
    page_versions.bump_content([instance.campaign_id])


# The fields of a user that a giving page shows ("A fundraiser by Ada").
SHOWN_USER_FIELDS = frozenset({"first_name"})


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def fundraiser_owner_changed(sender, instance, created, update_fields=None, **kwargs):
    # A new user owns no page yet, and a sign-in saves only last_login:
    # no page changes, so no query.
    if created or (update_fields is not None and not SHOWN_USER_FIELDS & set(update_fields)):
        return
    page_versions.bump_content(Fundraiser.objects.filter(owner=instance).values_list("campaign_id", flat=True))


@receiver(m2m_changed, sender=Campaign.funds.through)
def campaign_funds_changed(sender, instance, action, **kwargs):
    if not action.startswith("post_"):
        return
    # From either side: a fund's campaigns, or a campaign's funds.
    if isinstance(instance, Fund):
        page_versions.bump(page_versions.SITE)
    else:
        page_versions.bump_content([instance.pk])


@receiver([post_save, post_delete], sender=Fund)
def fund_changed(sender, instance, **kwargs):
    page_versions.bump(page_versions.SITE)
