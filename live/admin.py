from django.contrib import admin

from live.models import DemoRun


@admin.register(DemoRun)
class DemoRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "demo", "mode", "status", "elapsed"]
    list_filter = ["demo", "mode", "status", ("share_token", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    readonly_fields = [
        "demo",
        "mode",
        "params",
        "status",
        "elapsed",
        "timeline",
        "reason",
        "trace",
        "code",
        "output",
        "share_token",
        "shared_at",
        "lesson",
        "created_at",
    ]

    def get_queryset(self, request):
        # A trace may hold thousands of records: the list of runs never needs it.
        return super().get_queryset(request).defer("trace")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
