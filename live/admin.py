from django.contrib import admin

from live.models import DemoRun


@admin.register(DemoRun)
class DemoRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "demo", "mode", "status", "elapsed"]
    list_filter = ["demo", "mode", "status"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "demo",
        "mode",
        "params",
        "status",
        "elapsed",
        "timeline",
        "reason",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
