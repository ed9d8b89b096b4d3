from django.urls import path

from . import views

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
    path("runs/<int:pk>/", views.run_detail, name="run"),
]
