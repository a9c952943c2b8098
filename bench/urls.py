"""URLs of the Django baselines (never part of the product's URLconf)."""

from django.urls import path

from bench.baselines import hello

urlpatterns = [
    path("bench/django/hello/", hello),
    path("bench/product/hello/", hello),
]
