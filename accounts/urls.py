from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("profile/", views.profile, name="profile"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/verify/", views.organisation_verify, name="organisation-verify"),
    path("organisations/<int:pk>/contacts/", views.organisation_contacts, name="organisation-contacts"),
    path("verification/", views.verification_queue, name="verification-queue"),
    path("events/", views.event_log, name="events"),
    path("sites/new/", views.site_create, name="site-create"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site-edit"),
    path("sites/<int:pk>/delete/", views.site_delete, name="site-delete"),
]
