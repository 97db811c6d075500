from django.urls import path

from campaigns import manage_views, views

app_name = "campaigns"

TEAM = "campaigns/<slug:campaign_slug>/teams/<slug:slug>/"
FUNDRAISER = "campaigns/<slug:campaign_slug>/fundraisers/<slug:slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/<slug:slug>/", views.campaign_page, name="campaign"),
    path("campaigns/<slug:campaign_slug>/start/", views.start_fundraiser, name="start-fundraiser"),
    path("campaigns/<slug:campaign_slug>/new-team/", views.start_team, name="start-team"),
    path(TEAM, views.team_page, name="team"),
    path(TEAM + "join/", views.join_team, name="join-team"),
    path(TEAM + "manage/", manage_views.manage_team, name="manage-team"),
    path(TEAM + "manage/invite/", manage_views.invite_member, name="invite-member"),
    path(TEAM + "manage/captains/", manage_views.add_co_captain, name="add-co-captain"),
    path(TEAM + "manage/updates/", manage_views.post_team_update, name="post-team-update"),
    path(
        TEAM + "manage/members/<slug:fundraiser_slug>/remove/",
        manage_views.remove_member,
        name="remove-member",
    ),
    path(FUNDRAISER, views.fundraiser_page, name="fundraiser"),
    path(FUNDRAISER + "manage/", manage_views.manage_fundraiser, name="manage-fundraiser"),
    path(FUNDRAISER + "manage/updates/", manage_views.post_fundraiser_update, name="post-fundraiser-update"),
    path("invites/<str:token>/", views.invite, name="invite"),
    path("api/campaigns/<slug:slug>/", views.campaign_api, name="api-campaign"),
]
