from django.urls import path
from django.views.generic import RedirectView

from . import photo_views, views
from .web import factor_sets, listings, material_requests, search, yards

app_name = "marketplace"


def _listing_urls(kind: str) -> list:
    extra = {"kind": kind}
    return [
        path(f"{kind}s/new/", listings.listing_create, extra, name=f"{kind}-create"),
        path(f"{kind}s/<int:pk>/", listings.listing_detail, extra, name=kind),
        path(f"{kind}s/<int:pk>/edit/", listings.listing_edit, extra, name=f"{kind}-edit"),
        path(f"{kind}s/<int:pk>/status/", listings.listing_status, extra, name=f"{kind}-status"),
        path(f"{kind}s/<int:pk>/photos/", listings.photo_upload, extra, name=f"{kind}-photo-add"),
        path(
            f"{kind}s/<int:pk>/photos/<int:photo_pk>/delete/",
            listings.photo_delete,
            extra,
            name=f"{kind}-photo-delete",
        ),
    ]


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="marketplace:search"), name="index"),
    path("search/", search.search, name="search"),
    path("mine/", listings.my_listings, name="mine"),
    *_listing_urls("offer"),
    *_listing_urls("need"),
    path("storages/", yards.storage_list, name="storages"),
    path("storages/new/", yards.storage_create, name="storage-create"),
    path("storages/<int:pk>/edit/", yards.storage_edit, name="storage-edit"),
    path("storages/<int:pk>/status/", yards.storage_status, name="storage-status"),
    path("photos/<int:pk>/", photo_views.listing_photo, name="photo"),
    path("map-config.json", listings.map_config, name="map-config"),
    path("materials/options/", listings.material_options, name="material-options"),
    path("factor-sets/", factor_sets.factor_set_list, name="factor-sets"),
    path("factor-sets/diff/", factor_sets.factor_set_diff, name="factor-set-diff"),
    path("factor-sets/<int:pk>/", factor_sets.factor_set_detail, name="factor-set"),
    path("factor-sets/<int:pk>/edit/", factor_sets.factor_set_edit, name="factor-set-edit"),
    path("factor-sets/<int:pk>/copy/", factor_sets.factor_set_copy, name="factor-set-copy"),
    path("factor-sets/<int:pk>/publish/", factor_sets.factor_set_publish, name="factor-set-publish"),
    path("factor-sets/<int:pk>/delete/", factor_sets.factor_set_delete, name="factor-set-delete"),
    path("factor-sets/<int:pk>/factors/<int:factor_pk>/edit/", factor_sets.factor_edit, name="factor-edit"),
    path("factor-sets/<int:pk>/factors/<int:factor_pk>/", factor_sets.factor_row, name="factor-row"),
    path("material-requests/", material_requests.material_request_list, name="material-requests"),
    path("material-requests/new/", material_requests.material_request_create, name="material-request-create"),
    path(
        "material-requests/<int:pk>/answer/",
        material_requests.material_request_answer,
        name="material-request-answer",
    ),
    path("import/", views.listing_import, name="import"),
    path("import/confirm/", views.listing_import_confirm, name="import-confirm"),
    path("import/errors.csv", views.listing_import_errors, name="import-errors"),
    path("import/materials.csv", views.material_keys, name="import-material-keys"),
    path("import/template.csv", views.listing_import_template, name="import-template"),
]
