from django.urls import path

from live import views

app_name = "live"

urlpatterns = [
    path("runs/<slug:token>/", views.shared_run, name="shared-run"),
    path("runs/<slug:token>/program.json", views.shared_program, name="shared-program"),
]
