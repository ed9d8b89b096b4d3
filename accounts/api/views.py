"""Accounts API: registration, tokens, organisations, sites. Thin: parse, access, service, output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib.auth import authenticate
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts import access, selectors, services
from accounts.language import user_language_record
from accounts.throttles import AddressRateThrottle, UsernameRateThrottle

from .serializers import (
    OrganisationContactsInputSerializer,
    OrganisationDetailSerializer,
    OrganisationSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    SiteInputSerializer,
    SiteSerializer,
    SiteUpdateSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
    VerifyInputSerializer,
)

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass  # a name of the stubs only


class AuthThrottleMixin:
    """Anonymous endpoints, limited per client address (trusted-proxy rule) in ``throttle_scope``."""

    permission_classes: Sequence[_PermissionClass] = [AllowAny]
    authentication_classes: Sequence[type[BaseAuthentication]] = []
    throttle_classes: Sequence[type[BaseThrottle]] = [AddressRateThrottle]
    throttle_scope = "auth"


class RegisterView(AuthThrottleMixin, APIView):
    throttle_scope = "register"

    @extend_schema(
        request=RegisterInputSerializer,
        responses={201: RegisterOutputSerializer},
        examples=[
            OpenApiExample(
                "Brewery",
                request_only=True,
                value={
                    "username": "aigerim",
                    "password": "grain-to-feed-2026",
                    "email": "aigerim@brewery.kz",
                    "organisation": {
                        "name": "Almaty Brewery",
                        "kind": "company",
                        "sector": "agriculture_food",
                    },
                },
            )
        ],
        summary="Register a user and their (unverified) organisation",
    )
    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org_data = data.validated_data["organisation"]
        user, org = services.organisation_register(
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            email=data.validated_data["email"],
            organisation_name=org_data["name"],
            kind=org_data["kind"],
            sector=org_data["sector"],
        )
        # E-mails start in the request's language (Accept-Language); the profile can change it.
        user_language_record(user=user, language=translation.get_language() or "")
        token, _created = Token.objects.get_or_create(user=user)
        body = {"user": user, "organisation": org, "token": token.key}
        return Response(RegisterOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenView(AuthThrottleMixin, APIView):
    # Per address and per account: many addresses guessing one password share one budget.
    throttle_classes = [AddressRateThrottle, UsernameRateThrottle]

    @extend_schema(
        request=TokenInputSerializer,
        responses={200: TokenOutputSerializer},
        summary="Exchange username and password for an API token",
    )
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            # django-axes refused: too many failed log-ins for this account or from this address.
            raise Throttled(detail=_("Too many failed log-in attempts; try again later."))
        if user is None or not user.is_active:
            refusal = _("Unable to log in with the credentials provided.")
            raise ValidationError({"non_field_errors": [refusal]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Own organisations and verified ones; the municipality sees all and verifies.

    An organisation's contacts are shown to its members and the municipality, and changed by
    its admins (``PATCH``); the rest of the market sees them only on an agreed deal.
    """

    serializer_class = OrganisationSerializer
    filterset_fields = ["kind", "sector", "verified"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.organisation_list_for(user=self.request.user)

    def get_object(self):
        return access.access_organisation(self.request.user, self.kwargs["pk"])

    def _output(self, org):
        sees_contacts = org.pk in access.member_organisation_ids(self.request.user) or access.is_authority(
            self.request.user
        )
        return (OrganisationDetailSerializer if sees_contacts else OrganisationSerializer)(org).data

    @extend_schema(responses={200: OrganisationDetailSerializer})
    def retrieve(self, request, pk=None):
        return Response(self._output(self.get_object()))

    @extend_schema(
        request=OrganisationContactsInputSerializer,
        responses={200: OrganisationDetailSerializer},
        summary="Change the organisation's contacts and public-profile opt-in (admins; other members 403)",
        examples=[
            OpenApiExample(
                "Contacts",
                request_only=True,
                value={
                    "contact_name": "Aigerim Nurlanovna",
                    "phone": "+7 727 355 00 00",
                    "email": "sales@brewery.kz",
                    "website": "https://brewery.kz",
                    "bin": "060240012345",
                },
            ),
            OpenApiExample("Opt in to the public page", request_only=True, value={"public_profile": True}),
        ],
    )
    def partial_update(self, request, pk=None):
        org = self.get_object()
        access.require_organisation_admin(request.user, org)
        data = OrganisationContactsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.organisation_settings_update(
            organisation=org, actor=request.user, **data.validated_data
        )
        return Response(OrganisationDetailSerializer(org).data)

    @extend_schema(
        request=VerifyInputSerializer,
        responses={200: OrganisationSerializer},
        summary="Verify an organisation (municipality only)",
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        data = VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access.require_authority(request.user)
        org = access.access_organisation(request.user, pk)
        org = services.organisation_verify(
            organisation=org, actor=request.user, verified=data.validated_data["verified"]
        )
        return Response(OrganisationSerializer(org).data)


class SiteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your organisation's sites. Others' sites are never listed here."""

    serializer_class = SiteSerializer
    filterset_fields = ["organisation", "district"]

    def get_queryset(self):
        return selectors.site_list_for(user=self.request.user)

    def get_object(self):
        return access.access_site(self.request.user, self.kwargs["pk"])

    @extend_schema(request=SiteInputSerializer, responses={201: SiteSerializer})
    def create(self, request):
        data = SiteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        org = access.acting_organisation(request.user, fields.pop("organisation", None))
        site = services.site_create(organisation=org, actor=request.user, **fields)
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteUpdateSerializer, responses={200: SiteSerializer})
    def partial_update(self, request, pk=None):
        site = access.access_site(request.user, pk, for_write=True)
        data = SiteUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = services.site_update(site=site, actor=request.user, **data.validated_data)
        return Response(SiteSerializer(site).data)

    @extend_schema(request=SiteInputSerializer, responses={200: SiteSerializer})
    def update(self, request, pk=None):
        site = access.access_site(request.user, pk, for_write=True)
        data = SiteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("organisation", None)
        site = services.site_update(site=site, actor=request.user, **fields)
        return Response(SiteSerializer(site).data)

    def destroy(self, request, pk=None):
        site = access.access_site(request.user, pk, for_write=True)
        services.site_delete(site=site, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
