from django.contrib import admin

from .models import Deal, Delivery, MatchRun, Message, Proposal, Tariff


class ReadOnlyAdmin(admin.ModelAdmin):
    """Runs, proposals, deals and deliveries change only through the services (audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MatchRun)
class MatchRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "status",
        "objective",
        "factor_set",
        "created_at",
        "finished_at",
        "attempts",
        "worker",
    ]
    list_filter = ["status", "objective"]
    search_fields = ["id", "worker", "error"]


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["id", "run", "offer", "need", "material", "mass_t", "distance_km", "net_kg", "status"]
    list_filter = ["status", "material"]
    search_fields = ["offer__organisation__name", "need__organisation__name", "material__key"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["date", "mass_t", "net_kg", "recorded_by", "created_at"]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = ["id", "offer", "need", "material", "mass_t", "delivered_t", "net_kg", "agreed_at"]
    list_filter = ["material"]
    search_fields = ["offer__organisation__name", "need__organisation__name"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "deal", "date", "mass_t", "net_kg", "recorded_by"]
    list_filter = ["date"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "proposal", "organisation", "author", "created_at"]
    search_fields = ["organisation__name", "body"]
    list_select_related = ["organisation", "author"]


@admin.register(Tariff)
class TariffAdmin(ReadOnlyAdmin):
    """Tariffs change only through the services (drafts, then one audited publication)."""

    list_display = ["version", "status", "is_active", "landfill_gate_fee_kzt_per_t", "transport_kzt_per_tkm"]
    list_filter = ["status"]
