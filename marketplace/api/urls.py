from django.urls import path
from rest_framework.routers import SimpleRouter

from . import listings, material_requests, storages, views

router = SimpleRouter()
router.register("materials", views.MaterialViewSet, basename="material")
router.register("factor-sets", views.FactorSetViewSet, basename="factor-set")
router.register("offers", listings.OfferViewSet, basename="offer")
router.register("needs", listings.NeedViewSet, basename="need")
router.register("material-requests", material_requests.MaterialRequestViewSet, basename="material-request")
router.register("storages", storages.StorageViewSet, basename="storage")

urlpatterns = [
    path("listings/import/", listings.ListingImportView.as_view(), name="listing-import"),
    *router.urls,
]
