"""Every saved or deleted campaign, team, fundraiser, update or fund gives
the pages that show it a new version (campaigns/page_versions.py). Signals,
not the services alone, because the admin edits these models directly;
moderation's queryset update, which sends no signal, bumps in
services.set_hidden."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from campaigns import page_versions
from campaigns.models import Campaign, CampaignUpdate, Fund, Fundraiser, Team


@receiver([post_save, post_delete], sender=Campaign)
def campaign_changed(sender, instance, **kwargs):
    page_versions.bump_content([instance.pk])


@receiver([post_save, post_delete], sender=Team)
@receiver([post_save, post_delete], sender=Fundraiser)
@receiver([post_save, post_delete], sender=CampaignUpdate)
def page_changed(sender, instance, **kwargs):
    page_versions.bump_content([instance.campaign_id])


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
