"""``/api/v1/material-requests/``: ask for a material the catalogue lacks; the municipality answers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.strict import StrictSerializer
from marketplace import material_requests as service
from marketplace.models import MaterialRequest


class MaterialRequestItemSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    material: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )

    class Meta:
        model = MaterialRequest
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "name",
            "description",
            "status",
            "answer",
            "material",
            "answered_at",
            "created_at",
        ]
        read_only_fields = fields


class MaterialRequestInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=service.MAX_NAME, help_text="The material, in your words.")
    description = serializers.CharField(
        max_length=service.MAX_TEXT, required=False, allow_blank=True, default=""
    )
    organisation = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Needed only for members of several."
    )


class MaterialAnswerInputSerializer(StrictSerializer):
    answer = serializers.CharField(max_length=service.MAX_TEXT)
    material = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="Key of the catalogue material to use (empty: none fits).",
    )


class MaterialRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Requests for new catalogue materials: your organisations' own; the municipality sees all."""

    serializer_class = MaterialRequestItemSerializer
    queryset = MaterialRequest.objects.none()
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return service.material_request_list_for(user=self.request.user)

    def get_object(self):
        return service.access_material_request(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=MaterialRequestInputSerializer,
        responses={201: MaterialRequestItemSerializer},
        summary="Ask for a material that is not in the catalogue",
    )
    def create(self, request, *args, **kwargs):
        data = MaterialRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = service.material_request_create(
            actor=request.user,
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            organisation_id=data.validated_data["organisation"],
        )
        return Response(MaterialRequestItemSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MaterialAnswerInputSerializer,
        responses={200: MaterialRequestItemSerializer},
        summary="Answer a request (municipality only); 409 when it is answered already",
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        material_request = self.get_object()
        data = MaterialAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answered = service.material_request_answer(
            material_request=material_request,
            actor=request.user,
            answer=data.validated_data["answer"],
            material=data.validated_data["material"] or None,
        )
        return Response(MaterialRequestItemSerializer(answered).data)
