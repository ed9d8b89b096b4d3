"""The deal room's API: conversations, tariffs, and the ``economics`` and ``counterpart`` fields.

Thin like the rest: parse, reach the proposal or deal through ``matching.access`` (404 for
anyone but the parties and the municipality), call ``matching.conversations`` or
``matching.tariffs``, serialize.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListCreateAPIView
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.access import is_authority, member_organisation_ids
from config.strict import NoInputSerializer, StrictSerializer
from matching import access, conversations, tariffs
from matching.models import Message, Proposal, Tariff

if TYPE_CHECKING:
    from matching.flow_view import FlowView

# --- Throttle --------------------------------------------------------------------------------


class MessagesThrottle(ScopedRateThrottle):
    """Scope ``messages``: posting is limited per user (``MESSAGES_THROTTLE_RATE``); reading is not."""

    def allow_request(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_rate(self) -> str:
        return settings.MESSAGES_THROTTLE_RATE


def message_post_allowed(request) -> bool:
    """The same limit for the pages' form as for the API (one history per user)."""
    return MessagesThrottle().allow_request(request, SimpleNamespace(throttle_scope="messages"))


# --- Messages ----------------------------------------------------------------------------------


class MessageAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MessageOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "body", "author", "organisation", "created_at"]
        read_only_fields = fields

    @extend_schema_field(MessageAuthorSerializer(allow_null=True))
    def get_author(self, message: Message) -> dict | None:
        user = message.author
        if user is None:
            return None
        return {"id": user.pk, "name": user.get_full_name() or user.username}

    @extend_schema_field(MessageOrganisationSerializer)
    def get_organisation(self, message: Message) -> dict:
        return {"id": message.organisation_id, "name": message.organisation.name}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.terms_id is not None:
            # A terms revision's entry: its summary in the reader's language.
            data["body"] = conversations.terms_summary(instance.terms)
        return data


class MessageInputSerializer(StrictSerializer):
    # Trimmed and length-checked by the service (1–5,000 characters after strip).
    body = serializers.CharField(trim_whitespace=False, allow_blank=True)


class _ThreadView(ListCreateAPIView):
    """``GET`` the thread (paginated, oldest first; marks it read) or ``POST`` a message."""

    serializer_class = MessageSerializer
    throttle_classes = [MessagesThrottle]
    throttle_scope = "messages"
    filter_backends: list = []
    on = "proposal"  # or "deal": whose id is in the URL

    def thread(self) -> Proposal:
        if self.on == "deal":
            return conversations.thread_of(access.access_deal(self.request.user, self.kwargs["pk"]))
        return access.access_proposal(self.request.user, self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return conversations.thread_messages(proposal=self.thread())

    def list(self, request, *args, **kwargs):
        proposal = self.thread()
        page = self.paginate_queryset(conversations.thread_messages(proposal=proposal))
        if page:
            conversations.thread_mark_read(
                user=request.user, proposal=proposal, up_to=max(m.pk for m in page)
            )
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        proposal = self.thread()
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = conversations.message_post(
            proposal=proposal, actor=request.user, body=data.validated_data["body"]
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


_EXAMPLE = OpenApiExample("A question", request_only=True, value={"body": "Can you deliver in 5 t lots?"})
_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    get=extend_schema(
        operation_id="proposals_messages_list",
        parameters=[_ID],
        summary="The proposal's conversation, oldest first",
    ),
    post=extend_schema(
        operation_id="proposals_messages_create",
        parameters=[_ID],
        request=MessageInputSerializer,
        responses={201: MessageSerializer},
        examples=[_EXAMPLE],
        summary="Write in the proposal's conversation (1–5,000 characters)",
    ),
)
class ProposalMessagesView(_ThreadView):
    """The proposal's conversation: the two parties and the municipality; anyone else 404."""

    on = "proposal"


@extend_schema_view(
    get=extend_schema(
        operation_id="deals_messages_list",
        parameters=[_ID],
        summary="The deal's conversation (with its proposal's), oldest first",
    ),
    post=extend_schema(
        operation_id="deals_messages_create",
        parameters=[_ID],
        request=MessageInputSerializer,
        responses={201: MessageSerializer},
        examples=[_EXAMPLE],
        summary="Write in the deal's conversation (1–5,000 characters)",
    ),
)
class DealMessagesView(_ThreadView):
    """The deal's conversation: its proposal's thread, continued."""

    on = "deal"


# --- Tariffs -------------------------------------------------------------------------------------


class IsAuthority(permissions.BasePermission):
    message = gettext_lazy("Only the municipality can do this.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and is_authority(request.user))


def _rate() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class TariffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tariff
        fields = [
            "id",
            "version",
            "landfill_gate_fee_kzt_per_t",
            "transport_kzt_per_tkm",
            "status",
            "is_active",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class TariffInputSerializer(StrictSerializer):
    version = serializers.CharField(max_length=40)
    landfill_gate_fee_kzt_per_t = _rate()
    transport_kzt_per_tkm = _rate()


class TariffUpdateSerializer(TariffInputSerializer):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class TariffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The municipality's tariffs: drafts are edited, then published once (immutable; the latest
    published is active). Companies get a 403 on the whole endpoint."""

    serializer_class = TariffSerializer
    permission_classes = [permissions.IsAuthenticated, IsAuthority]
    filter_backends: list = []
    queryset = Tariff.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return tariffs.tariff_list_for(user=self.request.user)

    def get_object(self):
        return tariffs.access_tariff(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=TariffInputSerializer,
        responses={201: TariffSerializer},
        summary="Draft a tariff (municipality)",
        examples=[
            OpenApiExample(
                "2026 rates",
                request_only=True,
                value={
                    "version": "2026.1",
                    "landfill_gate_fee_kzt_per_t": "4500.00",
                    "transport_kzt_per_tkm": "45.00",
                },
            )
        ],
    )
    def create(self, request):
        data = TariffInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tariff = tariffs.tariff_create(actor=request.user, **data.validated_data)
        return Response(TariffSerializer(tariff).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TariffUpdateSerializer,
        responses={200: TariffSerializer},
        summary="Edit a draft tariff (409 once published)",
    )
    def partial_update(self, request, pk=None):
        tariff = self.get_object()
        data = TariffUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tariff = tariffs.tariff_update(tariff=tariff, actor=request.user, **data.validated_data)
        return Response(TariffSerializer(tariff).data)

    @extend_schema(
        request=NoInputSerializer,
        responses={200: TariffSerializer},
        summary="Publish a draft: immutable from now on, and the active tariff",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        NoInputSerializer(data=request.data).is_valid(raise_exception=True)
        tariff = tariffs.tariff_publish(tariff=self.get_object(), actor=request.user)
        return Response(TariffSerializer(tariff).data)


# --- Fields joined to the proposal and deal serializers ------------------------------------------


class EconomicsSerializer(serializers.Serializer):
    disposal_fee_avoided_kzt = serializers.DecimalField(max_digits=20, decimal_places=2)
    transport_cost_kzt = serializers.DecimalField(max_digits=20, decimal_places=2)
    price_total_kzt = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    tariff = serializers.CharField(help_text="The version of the published tariff used.")
    estimate = serializers.BooleanField(help_text="Always true: estimates from the city's tariff.")


class EconomicsMixin(serializers.Serializer):
    # Adds ``economics`` (estimated KZT under the active tariff; null without one), in
    # ``get_fields`` so the proposal and deal serializers keep their own field lists. The active
    # tariff is read once per serialization, not once per row. (Comments, not a docstring: the
    # schema would take a docstring as the description of Proposal and Deal.)

    if TYPE_CHECKING:  # supplied by the serializers this is mixed into (matching.api.serializers)

        def _view(self, obj: Any) -> FlowView: ...

    def get_fields(self):
        fields = super().get_fields()
        fields["economics"] = serializers.SerializerMethodField()
        return fields

    @extend_schema_field(EconomicsSerializer(allow_null=True))
    def get_economics(self, obj) -> dict | None:
        # Kept on the root (the list serializer of a page): one query per page, not per row.
        cache = vars(self.root)
        if "_active_tariff" not in cache:
            cache["_active_tariff"] = tariffs.tariff_active()
        # The viewer's own figures (matching.flow_view): no exact distance to a hidden site.
        figures = tariffs.economics_of(obj, tariff=cache["_active_tariff"], view=self._view(obj))
        return None if figures is None else EconomicsSerializer(figures).data


class CounterpartSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    contact_name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    website = serializers.CharField()
    bin = serializers.CharField()


class CounterpartMixin(serializers.Serializer):
    # Adds ``counterpart``: the other party's name and contacts, for a party of the deal (``null``
    # for the municipality and whenever the request is unknown).

    def get_fields(self):
        fields = super().get_fields()
        fields["counterpart"] = serializers.SerializerMethodField()
        return fields

    @extend_schema_field(CounterpartSerializer(allow_null=True))
    def get_counterpart(self, deal) -> dict | None:
        request = self.context.get("request")
        if request is None:
            return None
        orgs = member_organisation_ids(request.user)
        offer_side = deal.offer.organisation_id in orgs
        need_side = deal.need.organisation_id in orgs
        if offer_side == need_side:
            return None
        other = deal.need.organisation if offer_side else deal.offer.organisation
        return {
            "id": other.pk,
            "name": other.name,
            **{field: getattr(other, field) for field in other.CONTACT_FIELDS},
        }
