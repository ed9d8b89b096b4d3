"""Input and output serializers for accounts. Inputs parse and shape; services decide."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import SELF_SERVICE_KINDS, District, Organisation, Site
from config.strict import StrictSerializer

SELF_SERVICE_KIND_CHOICES = [(k, label) for k, label in Organisation.Kind.choices if k in SELF_SERVICE_KINDS]


class OrganisationInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=SELF_SERVICE_KIND_CHOICES,
        default=Organisation.Kind.COMPANY,
        help_text="A municipality cannot register itself: the operator sets up the city's authority.",
        error_messages={
            "invalid_choice": '"{input}" cannot be registered; expected one of: '
            + ", ".join(SELF_SERVICE_KINDS)
            + ". A municipality is set up by the operator."
        },
    )
    sector = serializers.ChoiceField(choices=Organisation.Sector.choices)


class RegisterInputSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    email = serializers.EmailField(
        max_length=254, help_text="Required: password resets and notifications go to it."
    )
    organisation = OrganisationInputSerializer()


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "sector", "verified", "verified_at", "created_at"]
        read_only_fields = fields


class OrganisationDetailSerializer(OrganisationSerializer):
    """With the contacts: for the organisation's own members and the municipality."""

    # Plain text, as stored: an unset contact is "" (not a URI or address a schema could promise).
    email = serializers.CharField(read_only=True, help_text="E-mail address, or empty.")
    website = serializers.CharField(read_only=True, help_text="Web address, or empty.")

    class Meta(OrganisationSerializer.Meta):
        fields = [*OrganisationSerializer.Meta.fields, *Organisation.CONTACT_FIELDS, "public_profile"]
        read_only_fields = fields


class OrganisationContactsInputSerializer(StrictSerializer):
    """Contacts (all optional; blank or null clears one) and the public-profile opt-in. The
    services validate each value."""

    contact_name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    email = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=254)
    website = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=300)
    bin = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Kazakhstan BIN: exactly 12 digits."
    )
    public_profile = serializers.BooleanField(
        required=False,
        help_text="Name the organisation on the public statistics page (/public/). Off by default.",
    )

    def validate(self, attrs):
        unknown = (
            sorted(set(self.initial_data) - set(self.fields)) if hasattr(self.initial_data, "keys") else []
        )
        if unknown:
            raise serializers.ValidationError(
                {unknown[0]: [_("Unknown field; contacts and public_profile only.")]}
            )
        return attrs


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class RegisterOutputSerializer(serializers.Serializer):
    user = UserSerializer()
    organisation = OrganisationSerializer()
    token = serializers.CharField()


class TokenInputSerializer(StrictSerializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


class SiteInputSerializer(StrictSerializer):
    organisation = serializers.IntegerField(
        required=False, help_text="Needed only by members of several organisations."
    )
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(max_digits=10, decimal_places=6, min_value=-180, max_value=180)
    district = serializers.ChoiceField(choices=District.choices, default=District.OTHER)


class SiteUpdateSerializer(SiteInputSerializer):
    organisation = None  # type: ignore[assignment]  # None removes the inherited field (DRF); the stubs do not model it

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = [
            "id",
            "organisation",
            "name",
            "address",
            "latitude",
            "longitude",
            "district",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VerifyInputSerializer(StrictSerializer):
    verified = serializers.BooleanField(default=True)
