from django.urls import path
from rest_framework.routers import SimpleRouter

from . import events, views

router = SimpleRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("sites", views.SiteViewSet, basename="site")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("events/", events.EventListView.as_view(), name="event-list"),
    *router.urls,
]
