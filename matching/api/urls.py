from django.urls import path
from rest_framework.routers import SimpleRouter

from . import deal_room, views
from .schedule import ScheduleView

router = SimpleRouter()
router.register("match-runs", views.MatchRunViewSet, basename="match-run")
router.register("proposals", views.ProposalViewSet, basename="proposal")
router.register("deals", views.DealViewSet, basename="deal")
router.register("tariffs", deal_room.TariffViewSet, basename="tariff")

urlpatterns = [
    path("proposals/<str:pk>/messages/", deal_room.ProposalMessagesView.as_view(), name="proposal-messages"),
    path("deals/<str:pk>/messages/", deal_room.DealMessagesView.as_view(), name="deal-messages"),
    path("schedule/", ScheduleView.as_view(), name="schedule"),
    path("offers/<str:pk>/request/", views.OfferRequestView.as_view(), name="offer-request"),
    path("needs/<str:pk>/request/", views.NeedRequestView.as_view(), name="need-request"),
    *router.urls,
]
