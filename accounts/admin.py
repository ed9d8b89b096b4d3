from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .errors import DomainError
from .models import AUTHORITY_KINDS, Event, Membership, Organisation, Site, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    pass


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "verified", "created_at"]
    list_filter = ["kind", "sector", "verified"]
    search_fields = ["name"]
    readonly_fields = ["verified", "verified_at", "verified_by", "created_at"]
    inlines = [MembershipInline]
    actions = ["verify", "grant_authority"]

    def get_readonly_fields(self, request, obj=None):
        # The kind decides authority: it changes only through the audited action below.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "kind"] if obj is not None else fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kwargs["choices"] = [(k, v) for k, v in db_field.choices if k not in AUTHORITY_KINDS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "district", "latitude", "longitude"]
    list_filter = ["district"]
    search_fields = ["name", "address", "organisation__name"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action_display", "actor", "organisation", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "actor__username", "organisation__name"]
    readonly_fields = [f.name for f in Event._meta.fields]

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, obj: Event) -> str:
        """The action in words (``accounts.event_labels``), not its code."""
        return obj.action_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
