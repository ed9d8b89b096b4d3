from django.urls import path

from . import views

app_name = "marketplace"

urlpatterns = [
    path("import/", views.listing_import, name="import"),
    path("import/errors.csv", views.listing_import_errors, name="import-errors"),
    path("import/template.csv", views.listing_import_template, name="import-template"),
]
