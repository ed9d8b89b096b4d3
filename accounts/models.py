"""Users, organisations, memberships, sites and the audit trail."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    MUNICIPALITY = "municipality", _("Municipality")
    NGO = "ngo", _("NGO")
    RESEARCH = "research", _("Research")


#: Kinds that carry the city's authority (once verified): never chosen at sign-up, only granted by
#: the operator (``create_organisation`` or :func:`accounts.services.organisation_grant_authority`).
AUTHORITY_KINDS = frozenset({OrganisationKind.MUNICIPALITY})
#: Kinds anyone may register.
SELF_SERVICE_KINDS = tuple(kind for kind in OrganisationKind.values if kind not in AUTHORITY_KINDS)


class OrganisationSector(models.TextChoices):
    # The sectors of the 2019 study "Circular Economy Opportunities in Almaty".
    AGRICULTURE_FOOD = "agriculture_food", _("Agriculture & food processing")
    CONSTRUCTION = "construction", _("Construction")
    INDUSTRY = "industry", _("Industry")
    UTILITIES = "utilities", _("Utilities (energy, water, waste)")
    TRANSPORT_STORAGE = "transport_storage", _("Transport & storage")
    TRADE = "trade", _("Trade")
    PUBLIC_SERVICES = "public_services", _("Public services")
    OTHER = "other", _("Other")


class MembershipRole(models.TextChoices):
    MEMBER = "member", _("Member")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """Custom from the first migration so that it can grow without a painful swap later."""

    # The language e-mails to the user are written in: set at sign-up from the language the site
    # was shown in, then the one the user last used on the site (the language switch, or the
    # browser's) -- until they choose one in their profile (``language_chosen``), which browsing
    # in another language no longer changes. Blank: the site's default (LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    language_chosen = models.BooleanField(
        _("e-mail language chosen in the profile"),
        default=False,
        help_text=_("Chosen in the profile: browsing in another language does not change it."),
    )


class Organisation(models.Model):
    Kind = OrganisationKind
    Sector = OrganisationSector

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    verified = models.BooleanField(_("verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )
    # Contacts: edited by the organisation's admins; shown to the counterpart of an agreed deal
    # only (never on proposals, listings or search).
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    # Kazakhstan business identification number: exactly 12 digits.
    bin = models.CharField(_("BIN"), max_length=12, blank=True)
    # Opt-in, by the organisation's admins: named on the public statistics page (/public/).
    # Off by default; its figures stay inside k-anonymous cells either way.
    public_profile = models.BooleanField(
        _("public profile"),
        default=False,
        help_text=_("Name this organisation on the public statistics page."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(sector__in=OrganisationSector.values), name="organisation_sector_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    CONTACT_FIELDS = ("contact_name", "phone", "email", "website", "bin")

    @property
    def is_authority(self) -> bool:
        """A verified municipality: its members review, verify and run the city optimiser."""
        return self.kind == self.Kind.MUNICIPALITY and self.verified


class Membership(models.Model):
    Role = MembershipRole

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=MembershipRole.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class District(models.TextChoices):
    # Almaty's eight districts and the settlements around it that the study names.
    ALATAU = "alatau", _("Alatau district")
    ALMALY = "almaly", _("Almaly district")
    AUEZOV = "auezov", _("Auezov district")
    BOSTANDYK = "bostandyk", _("Bostandyk district")
    ZHETYSU = "zhetysu", _("Zhetysu district")
    MEDEU = "medeu", _("Medeu district")
    NAURYZBAY = "nauryzbay", _("Nauryzbay district")
    TURKSIB = "turksib", _("Turksib district")
    KASKELEN = "kaskelen", _("Kaskelen (Karasai district)")
    TALGAR = "talgar", _("Talgar")
    KONAEV = "konaev", _("Konaev (Kapshagay)")
    ALATAU_CITY = "alatau_city", _("Alatau city")
    ILI = "ili", _("Ili district")
    OTHER = "other", _("Other")


class Site(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    district = models.CharField(
        _("district"), max_length=20, choices=District.choices, default=District.OTHER
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id", "name", "id"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        indexes = [models.Index(fields=["latitude", "longitude"], name="site_lat_lon_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=Decimal("-90")) & Q(latitude__lte=Decimal("90")),
                name="site_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=Decimal("-180")) & Q(longitude__lte=Decimal("180")),
                name="site_longitude_range",
            ),
            models.CheckConstraint(condition=Q(district__in=District.values), name="site_district_valid"),
            models.UniqueConstraint(fields=["organisation", "name"], name="site_name_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Event(models.Model):
    """Audit trail: who decided what, when, about which object. Rows are only ever added."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="event_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    @property
    def action_label(self) -> str:
        """The action in words, in the active language (see ``accounts.event_labels``)."""
        from .event_labels import action_label

        return action_label(self.action)

    @property
    def object_label(self) -> str:
        """The kind of object in words, in the active language ("Offer", "Предложение"), from the
        model's verbose name; the stored ``app.model`` text when it names no model."""
        from django.apps import apps

        try:
            model = apps.get_model(self.object_type)
        except (LookupError, ValueError):
            return self.object_type
        return str(model._meta.verbose_name).capitalize()
