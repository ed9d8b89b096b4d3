"""Catalogue and flow-factor-set endpoints. Thin: parse, access, service, serialize."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.access import require_authority
from accounts.errors import conflict, invalid, not_found
from config.strict import NoInputSerializer
from marketplace import access, factor_services, selectors
from marketplace.models import Factor, FactorSet, Material

from .serializers import (
    FactorSerializer,
    FactorSetCreateSerializer,
    FactorSetDetailSerializer,
    FactorSetSerializer,
    FactorSetUpdateSerializer,
    FactorUpdateSerializer,
    MaterialQuerySerializer,
    MaterialSerializer,
)


class MaterialViewSet(viewsets.ReadOnlyModelViewSet):
    """The material catalogue (European Waste Catalogue codes, units, densities)."""

    serializer_class = MaterialSerializer
    queryset = Material.objects.none()
    lookup_field = "key"
    lookup_value_regex = "[A-Za-z0-9_-]+"
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        query = MaterialQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.material_list(**query.validated_data)

    @extend_schema(parameters=[MaterialQuerySerializer], summary="List the material catalogue")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_object(self):
        material = Material.objects.filter(key=self.kwargs["key"]).first()
        if material is None:
            raise not_found()
        return material


class FactorSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Versioned flow-factor sets: read by everyone; copied, edited and published by the municipality."""

    queryset = FactorSet.objects.none()
    serializer_class = FactorSetSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.factor_set_list_for(user=self.request.user)

    def get_serializer_class(self):
        return FactorSetDetailSerializer if self.action == "retrieve" else FactorSetSerializer

    def get_object(self):
        factor_set = access.access_factor_set(self.request.user, self.kwargs["pk"])
        if self.action == "retrieve":
            factor_set = (
                FactorSet.objects.prefetch_related("factors__material")
                .select_related("based_on")
                .get(pk=factor_set.pk)
            )
        return factor_set

    @extend_schema(
        request=FactorSetCreateSerializer,
        responses={201: FactorSetDetailSerializer},
        summary="Copy a factor set into a new draft (municipality)",
        examples=[OpenApiExample("Next year's draft", request_only=True, value={"version": "2027.1"})],
    )
    def create(self, request):
        require_authority(request.user)
        data = FactorSetCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "based_on" in data.validated_data:
            source = FactorSet.objects.filter(pk=data.validated_data["based_on"]).first()
            if source is None:
                raise invalid("based_on", _("No such factor set."))
        else:
            source = factor_services.active_factor_set()
            if source is None:
                raise conflict(_("No factor set is active yet to copy; import one first."))
        draft = factor_services.factor_set_copy(
            source=source, version=data.validated_data["version"], actor=request.user
        )
        return Response(FactorSetDetailSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=FactorSetUpdateSerializer,
        responses={200: FactorSetDetailSerializer},
        summary="Edit a draft's set-wide values (409 once published)",
    )
    def partial_update(self, request, pk=None):
        require_authority(request.user)
        factor_set = access.access_factor_set(request.user, pk)
        data = FactorSetUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        factor_set = factor_services.factor_set_update(
            factor_set=factor_set, actor=request.user, **data.validated_data
        )
        return Response(FactorSetDetailSerializer(factor_set).data)

    @extend_schema(summary="Delete a draft (409 once published)", responses={204: None})
    def destroy(self, request, pk=None):
        require_authority(request.user)
        factor_set = access.access_factor_set(request.user, pk)
        factor_services.factor_set_delete(factor_set=factor_set, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=NoInputSerializer,
        responses={200: FactorSetDetailSerializer},
        summary="Publish a draft: it becomes immutable and the active set",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        NoInputSerializer(data=request.data).is_valid(raise_exception=True)
        require_authority(request.user)
        factor_set = access.access_factor_set(request.user, pk)
        factor_set = factor_services.factor_set_publish(factor_set=factor_set, actor=request.user)
        return Response(FactorSetDetailSerializer(factor_set).data)

    @extend_schema(
        request=FactorUpdateSerializer,
        responses={200: FactorSerializer},
        parameters=[
            OpenApiParameter("material_key", str, OpenApiParameter.PATH, description="A material key.")
        ],
        summary="Edit one material's factors in a draft (409 once published)",
        examples=[
            OpenApiExample(
                "Composting factor",
                request_only=True,
                value={"treatment_kg_per_t": "150", "notes": "Covered windrows"},
            )
        ],
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"factors/(?P<material_key>[A-Za-z0-9_-]+)",
        url_name="factor",
    )
    def factor(self, request, pk=None, material_key=None):
        require_authority(request.user)
        factor_set = access.access_factor_set(request.user, pk)
        factor = (
            Factor.objects.select_related("material")
            .filter(factor_set=factor_set, material__key=material_key)
            .first()
        )
        if factor is None:
            raise not_found()
        data = FactorUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        factor = factor_services.factor_update(factor=factor, actor=request.user, **data.validated_data)
        return Response(FactorSerializer(factor).data)
