from django.urls import path

from rooms import views

app_name = "rooms"

urlpatterns = [
    path("", views.join_form, name="join-form"),
    path("<str:code>/", views.join, name="join"),
]
