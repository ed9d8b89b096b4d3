"""Monitor endpoints, included under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("targets", views.TargetViewSet, basename="target")

urlpatterns = [
    path("public/impact/", views.PublicImpactView.as_view(), name="public-impact"),
    *router.urls,
]
