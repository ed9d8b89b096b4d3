"""Matching API: runs, proposals, deals, deliveries. Thin: parse, access, service, output."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import require_authority
from config.strict import NoInputSerializer
from marketplace.access import access_need, access_offer
from matching import access, compare, report_cache, runs, selectors, services
from matching import requests as direct_requests
from matching.models import Proposal, ProposalOrigin, ProposalStatus

from .serializers import (
    DealSerializer,
    DeclineInputSerializer,
    DeliveryInputSerializer,
    MatchRunCreatedSerializer,
    MatchRunInputSerializer,
    MatchRunSerializer,
    ProposalSerializer,
    RunCompareQuerySerializer,
    RunCompareSerializer,
)
from .terms import (
    TERMS_EXAMPLE,
    RequestWithNeedInputSerializer,
    RequestWithOfferInputSerializer,
    TermsInputSerializer,
)


class MatchRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """City-wide optimisation runs. Anyone signed in reads them; the municipality starts them."""

    serializer_class = MatchRunSerializer
    filterset_fields = ["status", "objective", "dry_run"]

    def get_queryset(self):
        return selectors.run_list_for(user=self.request.user)

    @extend_schema(
        request=MatchRunInputSerializer,
        responses={
            202: MatchRunCreatedSerializer,
            409: OpenApiResponse(description="A run is already open; the body names it in `active_run`."),
        },
        summary="Start a city-wide match run (municipality only)",
        description="With `dry_run: true` a what-if run: optional `parameters` (`radius_factor`, "
        "`circuity`, `objective`, `extra_listings`) shape its snapshot; it is solved like any run but "
        "publishes nothing (its flows are in `what_if`, for the municipality only). One real and one "
        "what-if run may be open at once.",
    )
    def create(self, request):
        data = MatchRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_authority(request.user)
        values = dict(data.validated_data)
        if "parameters" not in request.data:
            values.pop("parameters", None)
        run = runs.match_run_start(actor=request.user, **values)
        run.refresh_from_db()
        return Response({"id": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[RunCompareQuerySerializer],
        responses={200: RunCompareSerializer, 404: OpenApiResponse(description="No such run.")},
        summary="Two runs side by side (municipality only)",
        description="Diverted, left in waste (`landfilled_t`), t·km and net CO₂e of runs `a` and `b`, "
        "in all, by material and by the supplying site's district, with the differences b − a. "
        "400 for a malformed id, 404 for an unknown run.",
    )
    @action(detail=False, methods=["get"])
    def compare(self, request):
        RunCompareQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        result = compare.runs_compare(
            actor=request.user, a=request.query_params.get("a"), b=request.query_params.get("b")
        )
        return Response(RunCompareSerializer(result).data)


class ProposalFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ProposalStatus.choices)
    origin = django_filters.ChoiceFilter(choices=ProposalOrigin.choices)

    class Meta:
        model = Proposal
        fields = ["run", "status", "offer", "need", "origin"]


class CachedListMixin:
    """A list page's serialized rows, cached per generation (``matching.report_cache``: every
    decision, run, terms revision, deal and delivery moves it), viewer, query string, language
    and day (a deal's plan is read against today). Most of a list request is serializing its
    rows; a repeated one is a cache read."""

    def list(self, request, *args, **kwargs):
        build = super().list
        key = report_cache.list_key(view=type(self).__name__, request=request)
        return Response(report_cache.cached(key, lambda: build(request, *args, **kwargs).data))


class ProposalViewSet(
    CachedListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your organisation's proposals (the municipality sees all)."""

    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter

    def get_queryset(self):
        return selectors.proposal_list_for(user=self.request.user)

    def get_object(self):
        return access.access_proposal(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=NoInputSerializer, responses={200: ProposalSerializer}, summary="Accept for your side"
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        NoInputSerializer(data=request.data).is_valid(raise_exception=True)
        services.proposal_accept(proposal=self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=TermsInputSerializer,
        responses={201: ProposalSerializer},
        examples=[TERMS_EXAMPLE],
        summary="Propose terms (either party): accepted for your side, the other side's acceptance cleared",
        description="`quantity` (in the proposal's unit, > 0, at most the proposal's), `price_per_unit_kzt` "
        "(signed: negative = a gate fee the supplier pays), `transport_by` (supplier, receiver, carrier), "
        "`schedule` `{every: once|week|month, start, end}` inside both listings' windows. The other side "
        "accepts them with `POST …/accept/`; then the deal stores them. `respond_by` is not restarted. "
        "The municipality gets 403.",
    )
    @action(detail=True, methods=["post"])
    def terms(self, request, pk=None):
        proposal = self.get_object()
        data = TermsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_terms_propose(proposal=proposal, actor=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_object()).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DeclineInputSerializer,
        responses={200: ProposalSerializer},
        summary="Decline: by a party, the pair is never proposed again (direct or through any yard); "
        "by the storage yard's owner, the flow is not proposed through that yard again",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        data = DeclineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_decline(
            proposal=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(self.get_object()).data)


class DealViewSet(CachedListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Agreed proposals and their deliveries."""

    serializer_class = DealSerializer
    filterset_fields = ["material", "offer", "need"]

    def get_queryset(self):
        return selectors.deal_list_for(user=self.request.user)

    def get_object(self):
        return access.access_deal(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=DeliveryInputSerializer,
        responses={201: DealSerializer},
        summary="Record a delivery (either party) in the deal's unit; appended, never edited",
        description="`{date, quantity}` in the deal's unit (whole pieces for a piece deal, tonnes for "
        "a bulk deal) or, for a bulk deal, `{date, mass_t}`. Refused (400) beyond the agreed amount "
        "plus the delivery tolerance.",
    )
    @action(detail=True, methods=["post"])
    def deliveries(self, request, pk=None):
        deal = self.get_object()
        data = DeliveryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.delivery_record(deal=deal, actor=request.user, **data.validated_data)
        deal = access.access_deal(request.user, deal.pk)
        return Response(self.get_serializer(deal).data, status=status.HTTP_201_CREATED)


_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _proposal_response(request, proposal):
    proposal = access.access_proposal(request.user, proposal.pk)
    return Response(
        ProposalSerializer(proposal, context={"request": request}).data, status=status.HTTP_201_CREATED
    )


class OfferRequestView(APIView):
    """Ask for this offer with one of your needs (by the need's owner)."""

    @extend_schema(
        operation_id="offers_request_create",
        parameters=[_ID],
        request=RequestWithNeedInputSerializer,
        responses={201: ProposalSerializer},
        summary="Ask for this offer with your need: a proposal you have already accepted",
        description="The rules of matching apply (verified organisations, accepted material, radius by "
        "road, windows, a declined pair stays declined, both active); 400 names the reason. The result "
        'has `origin: "request"` and `run: null`.',
    )
    def post(self, request, pk=None):
        offer = access_offer(request.user, pk)
        data = RequestWithNeedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = direct_requests.proposal_request(
            actor=request.user, offer=offer, need_id=data.validated_data["need"]
        )
        return _proposal_response(request, proposal)


class NeedRequestView(APIView):
    """Offer one of your offers to this need (by the offer's owner)."""

    @extend_schema(
        operation_id="needs_request_create",
        parameters=[_ID],
        request=RequestWithOfferInputSerializer,
        responses={201: ProposalSerializer},
        summary="Ask for this need with your offer: a proposal you have already accepted",
        description="The same rules and answers as `POST /api/v1/offers/{id}/request/`.",
    )
    def post(self, request, pk=None):
        need = access_need(request.user, pk)
        data = RequestWithOfferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = direct_requests.proposal_request(
            actor=request.user, need=need, offer_id=data.validated_data["offer"]
        )
        return _proposal_response(request, proposal)
