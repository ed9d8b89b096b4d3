"""Monitor pages: the public statistics (no login) and the municipality's targets."""

from django.urls import path

from . import views

app_name = "monitor"

urlpatterns = [
    path("public/", views.public_page, name="public"),
    path("monitor/targets/", views.target_list, name="targets"),
    path("monitor/targets/<int:pk>/delete/", views.target_delete, name="target-delete"),
]
