from django.contrib import admin

from .models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    """Read-only: targets change through the API and the targets page, so every change is audited."""

    list_display = ["indicator", "year", "value", "basis", "updated_at"]
    list_filter = ["indicator", "basis", "year"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
