from django.urls import path

from . import deal_room_views, views

app_name = "matching"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("proposals/", views.proposal_inbox, name="proposals"),
    path("proposals/<int:pk>/accept/", views.proposal_decide, {"decision": "accept"}, name="proposal-accept"),
    path(
        "proposals/<int:pk>/decline/", views.proposal_decide, {"decision": "decline"}, name="proposal-decline"
    ),
    path("notifications/", views.notifications, name="notifications"),
    path("deals/", views.deal_list, name="deals"),
    path("deals/<int:pk>/", views.deal_detail, name="deal"),
    path("runs/", views.run_list, name="runs"),
    path("runs/schedule/", views.schedule_edit, name="schedule"),
    path("runs/what-if/", views.run_whatif, name="run-whatif"),
    path("runs/compare/", views.run_compare, name="run-compare"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    # The deal room: conversations and the municipality's tariffs.
    path("proposals/<int:pk>/", deal_room_views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/messages/", deal_room_views.proposal_messages, name="proposal-messages"),
    path("proposals/<int:pk>/terms/", deal_room_views.proposal_terms, name="proposal-terms"),
    path("request/<str:kind>/<int:pk>/", deal_room_views.listing_request, name="listing-request"),
    path("deals/<int:pk>/messages/", deal_room_views.deal_messages, name="deal-messages"),
    path("conversations/", deal_room_views.conversation_list, name="conversations"),
    path("tariffs/", deal_room_views.tariff_list, name="tariffs"),
    path("tariffs/<int:pk>/publish/", deal_room_views.tariff_publish, name="tariff-publish"),
]
