"""Staff log in through the admin, and always land on a page that exists."""

import pytest
from django.urls import reverse

PASSWORD = "a long passphrase for the test"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        username="staff", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_a_login_whose_next_is_refused_lands_on_the_admin(client, staff, next_url):
    response = client.post(
        reverse("admin:login") + (f"?next={next_url}" if next_url else ""),
        {"username": "staff", "password": PASSWORD, "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200


def test_a_login_with_a_next_on_the_site_goes_there(client, staff):
    target = reverse("admin:lessons_lesson_changelist")
    response = client.post(
        reverse("admin:login"), {"username": "staff", "password": PASSWORD, "next": target}
    )

    assert response["Location"] == target
