"""Who may use the admin, and the throttle on failed logins (django-axes)."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import aauthenticate
from django.test import AsyncClient, Client, RequestFactory
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"
THROTTLED = "Logins from your address are paused"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The throttle counts attempts; the real hasher's slowness would only cost time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        username="staff", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def member(django_user_model):
    """An active account without staff rights."""
    return django_user_model.objects.create_user(username="member", password=PASSWORD)


def log_in(client: Client, username: str, password: str, **headers: str):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, headers=headers
    )


def fail_until_throttled(client: Client, settings, **headers: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "staff", "wrong password", **headers)


def is_logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_right_password_logs_staff_in(client, staff):
    response = log_in(client, "staff", PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_after_repeated_failures_even_the_right_password_is_refused(client, staff, settings):
    fail_until_throttled(client, settings)
    response = log_in(client, "staff", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert THROTTLED in page
    assert f"{settings.AXES_FAILURE_LIMIT} failed logins" in page
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert not is_logged_in(client)


def test_one_failure_short_of_the_limit_still_lets_staff_in(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "staff", "wrong password")
    assert log_in(client, "staff", PASSWORD).status_code == 302
    assert is_logged_in(client)


async def test_the_throttle_also_holds_on_the_async_stack(staff, settings):
    client = AsyncClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        await client.post(LOGIN, {"username": "staff", "password": "wrong"})
    response = await client.post(LOGIN, {"username": "staff", "password": PASSWORD})
    assert response.status_code == 429
    assert THROTTLED in response.content.decode()
    assert (await client.get("/admin/")).status_code == 302


async def test_async_authentication_is_throttled_too(staff, settings):
    # Django's aauthenticate goes through the same throttle as the admin's login.
    request = RequestFactory().post(LOGIN)
    assert await aauthenticate(request, username="staff", password=PASSWORD) == staff
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert await aauthenticate(request, username="staff", password="wrong") is None
    assert await aauthenticate(request, username="staff", password=PASSWORD) is None


def test_the_throttle_is_per_address(staff, settings):
    fail_until_throttled(Client(REMOTE_ADDR="10.0.0.1"), settings)
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    assert log_in(elsewhere, "staff", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, staff, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "staff", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    response = log_in(client, "staff", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert response.status_code == 429


def test_after_the_cool_off_staff_can_log_in_again(client, staff, settings):
    fail_until_throttled(client, settings)
    assert log_in(client, "staff", PASSWORD).status_code == 429
    long_ago = timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=long_ago)
    assert log_in(client, "staff", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_a_successful_login_clears_earlier_failures(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "staff", "wrong")
    assert log_in(client, "staff", PASSWORD).status_code == 302
    client.post("/admin/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "staff", "wrong")
    assert log_in(client, "staff", PASSWORD).status_code == 302


# ---------------------------------------------------------------------------
# Only staff


def test_an_account_without_staff_rights_cannot_log_in_to_the_admin(client, member):
    response = log_in(client, "member", PASSWORD)
    assert response.status_code == 200  # the form again, with its error
    assert "staff account" in response.content.decode()
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/lessons/lesson/", "/admin/lessons/lesson/add/", "/admin/auth/user/"]
)
def test_readers_are_sent_to_the_login_page(client, reader_client, url):
    for someone in (client, reader_client):  # anonymous, and logged in without staff rights
        response = someone.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
