from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .schedule import ScheduleView

router = SimpleRouter()
router.register("match-runs", views.MatchRunViewSet, basename="match-run")
router.register("proposals", views.ProposalViewSet, basename="proposal")
router.register("deals", views.DealViewSet, basename="deal")

urlpatterns = [*router.urls, path("schedule/", ScheduleView.as_view(), name="schedule")]
