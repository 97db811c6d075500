from django.urls import include, path

from pages import api, dashboards, views

TEAM = "campaigns/<slug:campaign_slug>/teams/<slug:slug>/"
FUNDRAISER = "campaigns/<slug:campaign_slug>/fundraisers/<slug:slug>/"

# The pages keep the "campaigns" URL namespace they were first published
# under, so every {% url "campaigns:..." %} in the templates stays valid.
campaign_patterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("campaigns/<slug:slug>/", views.campaign_page, name="campaign"),
    path("campaigns/<slug:campaign_slug>/start/", views.start_fundraiser, name="start-fundraiser"),
    path("campaigns/<slug:campaign_slug>/new-team/", views.start_team, name="start-team"),
    path(TEAM, views.team_page, name="team"),
    path(TEAM + "join/", views.join_team, name="join-team"),
    path(TEAM + "manage/", dashboards.manage_team, name="manage-team"),
    path(TEAM + "manage/invite/", dashboards.invite_member, name="invite-member"),
    path(TEAM + "manage/captains/", dashboards.add_co_captain, name="add-co-captain"),
    path(TEAM + "manage/updates/", dashboards.post_team_update, name="post-team-update"),
    path(TEAM + "manage/gifts/<int:gift_id>/thank/", dashboards.thank_team_donor, name="thank-team-donor"),
    path(
        TEAM + "manage/members/<slug:fundraiser_slug>/remove/",
        dashboards.remove_member,
        name="remove-member",
    ),
    path(FUNDRAISER, views.fundraiser_page, name="fundraiser"),
    path(FUNDRAISER + "manage/", dashboards.manage_fundraiser, name="manage-fundraiser"),
    path(FUNDRAISER + "manage/updates/", dashboards.post_fundraiser_update, name="post-fundraiser-update"),
    path(
        FUNDRAISER + "manage/gifts/<int:gift_id>/thank/",
        dashboards.thank_fundraiser_donor,
        name="thank-fundraiser-donor",
    ),
    path("invites/<str:token>/", views.invite, name="invite"),
    path("api/campaigns/<slug:slug>/", api.campaign_api, name="api-campaign"),
]

urlpatterns = [
    path("", include((campaign_patterns, "campaigns"))),
    path("api/donations/<str:public_id>/", api.donation_detail, name="donation-detail"),
]
