from django.contrib import admin

from rooms.models import Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Rooms are made and ended from the lesson page; here they are only looked at."""

    list_display = ["code", "lesson", "teacher", "opened_at", "last_active_at", "closed_at"]
    list_filter = ["closed_at"]
    search_fields = ["code"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
