"""Offers and needs endpoints, their photos and bulk import. Thin: parse, access, service, serialize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import acting_organisation
from marketplace import access, extensions, importers, selectors, services
from marketplace.models import Need, Offer

from .serializers import (
    ImportRefusedSerializer,
    ImportResultSerializer,
    ImportUploadSerializer,
    ListingQuerySerializer,
    NeedInputSerializer,
    NeedSerializer,
    NeedUpdateSerializer,
    OfferInputSerializer,
    OfferSerializer,
    OfferUpdateSerializer,
    PhotoSerializer,
    PhotoUploadSerializer,
)

OFFER_EXAMPLE = {
    "site": 1,
    "material": "brewers_spent_grain",
    "quantity": "40",
    "unit": "t",
    "period": "week",
    "min_lot": "5",
    "current_destination": "landfill",
    "status": "active",
    "description": "Wet spent grain (~22 % dry matter), collected daily; keeps 2 days in summer.",
}
NEED_EXAMPLE = {
    "site": 2,
    "materials": ["brewers_spent_grain", "bread_residues"],
    "quantity": "25",
    "unit": "t",
    "period": "week",
    "max_distance_km": "60",
    "status": "active",
    "description": "Feed for 600 dairy cows; fresh residues only, delivered to the feed yard.",
}
PHOTO_ID = OpenApiParameter("photo_id", int, OpenApiParameter.PATH, description="The photo's id.")


def import_response(
    *,
    request,
    organisation_id: int | None,
    data: bytes,
    filename: str,
    default_kind: str | None,
    confirm_duplicates: bool = False,
) -> Response:
    """Run an import for the user's organisation; 201 with the new ids or 400 with every row error."""
    organisation = acting_organisation(request.user, organisation_id)
    try:
        importers.import_rate_take(organisation=organisation)
    except importers.ImportRateLimited as limited:
        raise Throttled(
            wait=limited.wait_s, detail="Too many imports for this organisation; try again later."
        ) from None
    try:
        result = importers.listings_import(
            organisation=organisation,
            actor=request.user,
            data=data,
            filename=filename,
            default_kind=default_kind,
            confirm_duplicates=confirm_duplicates,
        )
    except importers.ImportRefused as refused:
        body = {
            "file": [str(error) for error in refused.errors],
            "errors": [error.as_dict() for error in refused.errors],
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return Response(
        {
            "offers": [o.pk for o in result.offers],
            "needs": [n.pk for n in result.needs],
            "skipped_duplicates": [row.row for row in result.skipped],
        },
        status=status.HTTP_201_CREATED,
    )


def _read_upload(request) -> tuple[int | None, bytes, str, bool]:
    data = ImportUploadSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    upload = data.validated_data["file"]
    # Read one byte past the limit: enough to refuse an oversize file without reading it all.
    content = upload.read(importers.MAX_IMPORT_BYTES + 1)
    return (
        data.validated_data.get("organisation"),
        content,
        upload.name or "",
        data.validated_data["confirm_duplicates"],
    )


IMPORT_SCHEMA: dict[str, Any] = dict(
    request={"multipart/form-data": ImportUploadSerializer},
    responses={
        201: ImportResultSerializer,
        400: ImportRefusedSerializer,
        429: OpenApiResponse(
            description="The organisation's imports for this hour are used up (IMPORT_RATE)."
        ),
    },
)


class ListingViewSet(viewsets.GenericViewSet):
    """Shared behaviour of offers and needs; subclasses name the model, serializers and services."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends: list = []
    kind: str
    input_serializer: type
    update_serializer: type
    list_selector: Callable[..., Any]
    access_listing: Callable[..., Any]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        query = ListingQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        near = selectors.parse_near(params.pop("near")) if "near" in params else None
        radius = selectors.parse_radius(params.pop("radius_km")) if "radius_km" in params else None
        filters = selectors.ListingFilters(near=near, radius_km=radius, **params)
        return type(self).list_selector(user=self.request.user, filters=filters)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.user.is_authenticated:
            context["exact_site_ids"] = selectors.exact_site_ids(self.request.user)
        return context

    def _output(self, listing) -> dict:
        fresh = type(self).access_listing(self.request.user, listing.pk)
        return self.get_serializer(fresh).data

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        context = {
            **self.get_serializer_context(),
            "match_statuses": extensions.match_statuses_for(page or [], user=request.user),
        }
        return self.get_paginated_response(self.get_serializer(page, many=True, context=context).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(type(self).access_listing(request.user, pk)).data)

    def create(self, request):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        organisation = acting_organisation(request.user, fields.pop("organisation", None))
        listing = self.create_listing(organisation=organisation, actor=request.user, **fields)
        return Response(self._output(listing), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        listing = type(self).access_listing(request.user, pk, for_write=True)
        data = self.update_serializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        listing = self.update_listing(listing, request.user, dict(data.validated_data))
        return Response(self._output(listing))

    def destroy(self, request, pk=None):
        listing = type(self).access_listing(request.user, pk, for_write=True)
        self.update_listing(listing, request.user, {"status": "closed"})
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: PhotoSerializer(many=True)},
        summary="Photos of a listing",
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: PhotoSerializer},
        summary="Add a photo (at most five per listing)",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
    )
    def photos(self, request, pk=None):
        if request.method == "GET":
            listing = type(self).access_listing(request.user, pk)
            return Response(PhotoSerializer(listing.photos.all(), many=True).data)
        listing = type(self).access_listing(request.user, pk, for_write=True)
        data = PhotoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["image"]
        photo = services.listing_photo_add(
            listing=listing,
            actor=request.user,
            image=upload,
            caption=data.validated_data["caption"],
            size=upload.size,
        )
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[PHOTO_ID], request=None, responses={204: None}, summary="Delete a photo")
    @action(detail=True, methods=["delete"], url_path=r"photos/(?P<photo_id>[0-9]+)", url_name="photo")
    def photo(self, request, pk=None, photo_id=None):
        listing = type(self).access_listing(request.user, pk, for_write=True)
        photo = access.access_listing_photo(request.user, listing, photo_id)
        services.listing_photo_delete(photo=photo, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def bulk_import(self, request):
        organisation_id, content, filename, confirm = _read_upload(request)
        return import_response(
            request=request,
            organisation_id=organisation_id,
            data=content,
            filename=filename,
            default_kind=self.kind,
            confirm_duplicates=confirm,
        )


LIST_PARAMETERS = [ListingQuerySerializer]


@extend_schema_view(
    list=extend_schema(
        parameters=LIST_PARAMETERS,
        summary="Offers you may see",
        description="Active offers of verified organisations, and your own in any status. "
        "Others' sites are rounded to ~1 km and their addresses hidden.",
    ),
    retrieve=extend_schema(summary="One offer"),
    create=extend_schema(
        request=OfferInputSerializer,
        responses={201: OfferSerializer},
        summary="Offer a residue",
        examples=[OpenApiExample("Spent grain", request_only=True, value=OFFER_EXAMPLE)],
    ),
    partial_update=extend_schema(
        request=OfferUpdateSerializer,
        responses={200: OfferSerializer},
        summary="Change an offer, or its status (pause, resume, close)",
        examples=[OpenApiExample("Pause", request_only=True, value={"status": "paused"})],
    ),
    destroy=extend_schema(summary="Close an offer (closed is final)", responses={204: None}),
    bulk_import=extend_schema(summary="Import offers from CSV or XLSX (all rows or none)", **IMPORT_SCHEMA),
)
class OfferViewSet(ListingViewSet):
    kind = "offer"
    queryset = Offer.objects.none()
    serializer_class = OfferSerializer
    input_serializer = OfferInputSerializer
    update_serializer = OfferUpdateSerializer
    list_selector = staticmethod(selectors.offer_list_for)
    access_listing = staticmethod(access.access_offer)

    def create_listing(self, **fields):
        return services.offer_create(**fields)

    def update_listing(self, listing, actor, fields):
        return services.offer_update(offer=listing, actor=actor, **fields)


@extend_schema_view(
    list=extend_schema(
        parameters=LIST_PARAMETERS,
        summary="Needs you may see",
        description="Active needs of verified organisations, and your own in any status. "
        "Others' sites are rounded to ~1 km and their addresses hidden.",
    ),
    retrieve=extend_schema(summary="One need"),
    create=extend_schema(
        request=NeedInputSerializer,
        responses={201: NeedSerializer},
        summary="Post a material need",
        examples=[OpenApiExample("Cattle feed", request_only=True, value=NEED_EXAMPLE)],
    ),
    partial_update=extend_schema(
        request=NeedUpdateSerializer,
        responses={200: NeedSerializer},
        summary="Change a need, or its status (pause, resume, close)",
    ),
    destroy=extend_schema(summary="Close a need (closed is final)", responses={204: None}),
    bulk_import=extend_schema(summary="Import needs from CSV or XLSX (all rows or none)", **IMPORT_SCHEMA),
)
class NeedViewSet(ListingViewSet):
    kind = "need"
    queryset = Need.objects.none()
    serializer_class = NeedSerializer
    input_serializer = NeedInputSerializer
    update_serializer = NeedUpdateSerializer
    list_selector = staticmethod(selectors.need_list_for)
    access_listing = staticmethod(access.access_need)

    def create_listing(self, **fields):
        return services.need_create(**fields)

    def update_listing(self, listing, actor, fields):
        return services.need_update(need=listing, actor=actor, **fields)


class ListingImportView(APIView):
    """Offers and needs in one file, told apart by its ``kind`` column."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import offers and needs from CSV or XLSX (a `kind` column; all rows or none)",
        **IMPORT_SCHEMA,
    )
    def post(self, request):
        organisation_id, content, filename, confirm = _read_upload(request)
        return import_response(
            request=request,
            organisation_id=organisation_id,
            data=content,
            filename=filename,
            default_kind=None,
            confirm_duplicates=confirm,
        )
