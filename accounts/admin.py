"""The operator admin for identity: it reads everything and writes only through the services.

Every write here is one the services make, with its audit event, exactly as from the API or the
pages: an organisation is added with ``organisation_create`` ("organisation.created"), verified
or made the city authority with ``organisation_verify`` / ``organisation_grant_authority``, and a
member is added with ``membership_add`` ("membership.added"). Nothing else is editable:
an organisation's details, sites and memberships change in the app by the people they belong to;
users are made by sign-up, ``createsuperuser`` or ``create_organisation``. Events are never
editable at all.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .errors import DomainError, apply_domain_error
from .models import AUTHORITY_KINDS, Event, Membership, Organisation, Site, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, change or delete (and so no "delete selected" action)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "role", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrganisationAddForm(forms.ModelForm):
    """Name, kind and sector, checked by the service's own rules before it creates the row."""

    class Meta:
        model = Organisation
        fields = ["name", "kind", "sector"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                services.organisation_clean(
                    name=cleaned["name"], kind=cleaned["kind"], sector=cleaned["sector"]
                )
            except DomainError as exc:
                apply_domain_error(self, exc)
        return cleaned


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "verified", "created_at"]
    list_filter = ["kind", "sector", "verified"]
    search_fields = ["name"]
    readonly_fields = ["verified", "verified_at", "verified_by", "created_at"]
    inlines = [MembershipInline]
    actions = ["verify", "grant_authority"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OrganisationAddForm
            kwargs["fields"] = OrganisationAddForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj):
        return [] if obj is None else super().get_inlines(request, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": OrganisationAddForm.Meta.fields})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        # The changelist stays open for the audited actions; an organisation's fields do not
        # change here (its members edit them in the app, through the services).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        # The kind decides authority: it is granted only through the audited action below.
        if db_field.name == "kind":
            kwargs["choices"] = [(k, v) for k, v in db_field.choices if k not in AUTHORITY_KINDS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        created = services.organisation_create(
            name=form.cleaned_data["name"],
            kind=form.cleaned_data["kind"],
            sector=form.cleaned_data["sector"],
            actor=request.user,
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # No inline is writable; nothing but the service's row is saved.
        return None

    @admin.action(description="Grant the city authority role (municipality, verified; superusers; audited)")
    def grant_authority(self, request, queryset):
        try:
            for org in queryset:
                services.organisation_grant_authority(
                    organisation=org, actor=request.user, reason="Django admin action"
                )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"{queryset.count()} organisation(s) now hold the authority role.")

    @admin.action(description="Verify selected organisations (as a municipality member)")
    def verify(self, request, queryset):
        # Through the service, so the decision is audited exactly as in the API.
        try:
            for org in queryset:
                services.organisation_verify(organisation=org, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


class MembershipAddForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "organisation", "role"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]
    form = MembershipAddForm

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        membership = services.membership_add(
            user=form.cleaned_data["user"],
            organisation=form.cleaned_data["organisation"],
            role=form.cleaned_data["role"],
            actor=request.user,
        )
        obj.pk = membership.pk
        obj.refresh_from_db()


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "district", "latitude", "longitude"]
    list_filter = ["district"]
    search_fields = ["name", "address", "organisation__name"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action_display", "actor", "organisation", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "actor__username", "organisation__name"]
    readonly_fields = [f.name for f in Event._meta.fields]

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, obj: Event) -> str:
        """The action in words (``accounts.event_labels``), not its code."""
        return obj.action_label
