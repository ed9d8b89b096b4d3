"""Storage yards endpoint (issue 13): ``/api/v1/storages/``. Thin: parse, access, service, serialize.

Like offers and needs: your own organisation's yards in any status, others' active yards of
verified organisations (their sites rounded to ~1 km, addresses hidden); writes for your own.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from accounts.access import acting_organisation
from config.strict import StrictQuerySerializer, StrictSerializer
from marketplace import selectors, storages
from marketplace.models import ListingStatus, Material, Storage, StorageUnit

from .serializers import ListingStatusField, SiteLocationSerializer


def _number(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


class StorageSerializer(serializers.ModelSerializer):
    status = ListingStatusField(read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    materials: serializers.SlugRelatedField[Material] = serializers.SlugRelatedField(
        slug_field="key", many=True, read_only=True
    )
    site_location = serializers.SerializerMethodField()

    class Meta:
        model = Storage
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "site",
            "site_location",
            "materials",
            "capacity",
            "unit",
            "available_from",
            "available_until",
            "handling_kg_co2e_per_t",
            "handling_cost_kzt_per_t",
            "accept_automatically",
            "description",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SiteLocationSerializer)
    def get_site_location(self, storage: Storage) -> dict:
        site = storage.site
        exact_ids = self.context.get("exact_site_ids", set())
        exact = exact_ids is None or storage.site_id in exact_ids
        return {
            "latitude": str(site.latitude if exact else selectors.coarse_coordinate(site.latitude)),
            "longitude": str(site.longitude if exact else selectors.coarse_coordinate(site.longitude)),
            "address": site.address if exact else None,
            "district": site.district,
            "exact": exact,
        }


class StorageInputSerializer(StrictSerializer):
    organisation = serializers.IntegerField(
        required=False, help_text="Needed only by members of several organisations."
    )
    site = serializers.IntegerField(help_text="One of your organisation's sites.")
    materials = serializers.ListField(
        child=serializers.CharField(max_length=60),
        max_length=50,
        help_text=(
            "Material keys the yard stores: any with unit `t` (by mass), piece materials only with `piece`."
        ),
    )
    capacity = _number(help_text="How much the yard holds at once, in `unit`; positive, at most 10,000,000.")
    unit = serializers.ChoiceField(choices=StorageUnit.choices, default=StorageUnit.TONNE)
    available_from = serializers.DateField(required=False, allow_null=True)
    available_until = serializers.DateField(required=False, allow_null=True)
    handling_kg_co2e_per_t = _number(required=False, allow_null=True, help_text="Optional, ≥ 0.")
    handling_cost_kzt_per_t = _number(required=False, allow_null=True, help_text="Optional, ≥ 0.")
    accept_automatically = serializers.BooleanField(
        default=False, help_text="True: flows through the yard need no acceptance by its owner."
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    status = ListingStatusField(
        default=ListingStatus.DRAFT,
        help_text="`draft` (default) or `active` to publish at once; on update also `paused` and `closed`.",
    )


class StorageUpdateSerializer(StorageInputSerializer):
    organisation = None  # type: ignore[assignment]  # None removes the inherited field (DRF)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class StorageQuerySerializer(StrictQuerySerializer):
    status = ListingStatusField(required=False)
    material = serializers.CharField(required=False, max_length=60, help_text="A material key.")
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only your organisations' yards."
    )


STORAGE_EXAMPLE = {
    "site": 3,
    "materials": ["precast_concrete_panel"],
    "capacity": "400",
    "unit": "piece",
    "available_from": "2027-05-01",
    "available_until": "2027-12-31",
    "handling_kg_co2e_per_t": "4.5",
    "accept_automatically": False,
    "status": "active",
}


@extend_schema_view(
    list=extend_schema(parameters=[StorageQuerySerializer], summary="Storage yards you may see"),
    retrieve=extend_schema(summary="One storage yard"),
    create=extend_schema(
        request=StorageInputSerializer,
        responses={201: StorageSerializer},
        summary="Offer a storage yard",
        examples=[OpenApiExample("Panel yard", request_only=True, value=STORAGE_EXAMPLE)],
    ),
    partial_update=extend_schema(
        request=StorageUpdateSerializer,
        responses={200: StorageSerializer},
        summary="Change a storage yard, or its status (pause, resume, close)",
    ),
    destroy=extend_schema(summary="Close a storage yard (closed is final)", responses={204: None}),
)
class StorageViewSet(viewsets.GenericViewSet):
    queryset = Storage.objects.none()
    serializer_class = StorageSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        query = StorageQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return storages.storage_list_for(user=self.request.user, **query.validated_data)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.user.is_authenticated:
            context["exact_site_ids"] = selectors.exact_site_ids(self.request.user)
        return context

    def _output(self, storage: Storage) -> dict:
        return self.get_serializer(storages.access_storage(self.request.user, storage.pk)).data

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(storages.access_storage(request.user, pk)).data)

    def create(self, request):
        data = StorageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        organisation = acting_organisation(request.user, fields.pop("organisation", None))
        storage = storages.storage_create(organisation=organisation, actor=request.user, **fields)
        return Response(self._output(storage), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        storage = storages.access_storage(request.user, pk, for_write=True)
        data = StorageUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        storage = storages.storage_update(storage=storage, actor=request.user, **dict(data.validated_data))
        return Response(self._output(storage))

    def destroy(self, request, pk=None):
        storage = storages.access_storage(request.user, pk, for_write=True)
        storages.storage_close(storage=storage, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
