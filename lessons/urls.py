from django.urls import path

from lessons import views

app_name = "lessons"

urlpatterns = [
    path("", views.course_list, name="home"),
    path("demos/catalog.json", views.demo_catalog, name="demo-catalog"),
    path("courses/<slug:course>/", views.course_detail, name="course"),
    path("courses/<slug:course>/<slug:lesson>/", views.lesson_detail, name="lesson"),
]
