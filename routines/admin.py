"""Superusers can read the care links and the access log; nobody edits them here."""

from django.contrib import admin

from routines.models import AccessLog, CareLink


class ReadOnlyForSuperusers(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CareLink)
class CareLinkAdmin(ReadOnlyForSuperusers):
    list_display = ["patient", "therapist", "started_at", "ended_at", "ended_by"]
    list_filter = ["ended_by"]
    list_select_related = ["patient", "therapist"]
    search_fields = ["patient__username", "therapist__username"]
    date_hierarchy = "started_at"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyForSuperusers):
    list_display = ["at", "therapist_name", "patient", "action", "what"]
    list_filter = ["action"]
    list_select_related = ["patient"]
    search_fields = ["patient__username", "therapist_name", "what"]
    date_hierarchy = "at"
