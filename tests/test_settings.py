"""Settings from the environment: good values are honoured, malformed ones stop start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutorialsite.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    env_url,
)

NAME = "TUTORIAL_TEST_SETTING"
REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------
# The helpers


@pytest.fixture
def setenv(monkeypatch):
    def set_(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(NAME, raising=False)
        else:
            monkeypatch.setenv(NAME, value)

    return set_


def test_env_str_reads_the_variable_or_the_default(setenv):
    setenv(None)
    assert env_str(NAME, "fallback") == "fallback"
    setenv("value")
    assert env_str(NAME, "fallback") == "value"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "default"),
        ("1", True),
        ("true", True),
        (" TRUE ", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(setenv, raw, expected):
    setenv(raw)

    value = env_bool(NAME, True)

    assert value is (True if expected == "default" else expected)


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "y e s"])
def test_env_bool_refuses_anything_else_naming_the_variable(setenv, raw):
    setenv(raw)

    with pytest.raises(ImproperlyConfiguredEnv, match=NAME) as caught:
        env_bool(NAME)

    assert repr(raw) in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 7), ("", 7), (" 12 ", 12), ("1", 1), ("20", 20)]
)
def test_env_int_reads_whole_numbers_within_bounds(setenv, raw, expected):
    setenv(raw)

    assert env_int(NAME, 7, minimum=1, maximum=20) == expected


@pytest.mark.parametrize("raw", ["x", "3.5", "1e3", "ten"])
def test_env_int_refuses_what_is_not_a_whole_number(setenv, raw):
    setenv(raw)

    with pytest.raises(ImproperlyConfiguredEnv, match=f"{NAME} must be a whole number"):
        env_int(NAME, 7, minimum=1, maximum=20)


@pytest.mark.parametrize("raw", ["0", "21", "-5"])
def test_env_int_refuses_numbers_out_of_range_naming_the_bounds(setenv, raw):
    setenv(raw)

    with pytest.raises(ImproperlyConfiguredEnv, match=f"{NAME} must be between 1 and 20"):
        env_int(NAME, 7, minimum=1, maximum=20)


@pytest.mark.parametrize(("raw", "expected"), [(None, 3.0), ("0.5", 0.5), ("60", 60.0)])
def test_env_float_reads_numbers_within_bounds(setenv, raw, expected):
    setenv(raw)

    assert env_float(NAME, 3.0, minimum=0.05, maximum=60.0) == expected


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "0.01", "61"])
def test_env_float_refuses_nan_infinity_and_out_of_range(setenv, raw):
    setenv(raw)

    with pytest.raises(ImproperlyConfiguredEnv, match=f"{NAME} must be between"):
        env_float(NAME, 3.0, minimum=0.05, maximum=60.0)


def test_env_float_refuses_what_is_not_a_number(setenv):
    setenv("fast")

    with pytest.raises(ImproperlyConfiguredEnv, match=f"{NAME} must be a number"):
        env_float(NAME, 3.0, minimum=0.05, maximum=60.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, (30, 60)),
        ("5/s", (5, 1)),
        ("100/h", (100, 3600)),
        ("1/d", (1, 86400)),
        (" 2 / m ", (2, 60)),
    ],
)
def test_env_rate_reads_a_count_per_period(setenv, raw, expected):
    setenv(raw)

    assert env_rate(NAME, "30/m") == expected


@pytest.mark.parametrize("raw", ["30/x", "0/m", "-1/m", "30", "m/30", "30/minute", "", "1.5/m"])
def test_env_rate_refuses_malformed_rates_naming_the_variable(setenv, raw):
    setenv(raw)

    with pytest.raises(ImproperlyConfiguredEnv, match=f"{NAME} must look like 30/m"):
        env_rate(NAME, "30/m")


@pytest.mark.parametrize(
    "raw", ["https://example.com/api/", "HTTP://127.0.0.1:8001/", " http://host/ "]
)
def test_env_url_accepts_the_allowed_schemes(setenv, raw):
    setenv(raw)

    assert env_url(NAME, "http://default/", schemes=("http", "https")) == raw.strip()


@pytest.mark.parametrize(
    "raw", ["ftp://example.com/", "example.com", "https://", "file:///etc/passwd", "//host/"]
)
def test_env_url_refuses_other_urls_naming_the_variable(setenv, raw):
    setenv(raw)

    with pytest.raises(ImproperlyConfiguredEnv, match=f"{NAME} must be a URL starting with"):
        env_url(NAME, "http://default/", schemes=("http", "https"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, ["default"]), ("a.example, b.example ,", ["a.example", "b.example"]), ("", [])],
)
def test_env_list_splits_on_commas(setenv, raw, expected):
    setenv(raw)

    assert env_list(NAME, ["default"]) == expected


# ---------------------------------------------------------------------------
# Start-up, in a fresh interpreter with its own environment

OUR_VARIABLES = {
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "DEMO_RATE_LIMIT",
    "DEMO_SYNC_WORKERS",
    "DEMO_MAX_RUNNING",
    "DEMO_LEASE_SECONDS",
    "DEMO_RUNS_KEPT",
    "DEMO_SOCKETS_PER_CLIENT",
    "DATABASE_POOL_MAX_SIZE",
    "WEATHER_API_URL",
    "WEATHER_TIMEOUT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
START = "import django; django.setup()"
SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'rate': s.DEMO_RATE_LIMIT, 'engine': s.DATABASES['default']['ENGINE'], "
    "'db_name': str(s.DATABASES['default']['NAME']), 'layer': s.CHANNEL_LAYERS['default'], "
    "'workers': s.DEMO_SYNC_WORKERS, "
    "'weather': s.WEATHER_API_URL, 'timeout': s.WEATHER_TIMEOUT}))"
)


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "tutorialsite.settings"
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def show_settings(**variables: str) -> dict:
    result = run_python(SHOW, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"DATABASE_URL": "mysql://user@host/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://user@host:port/db"}, "DATABASE_URL"),
        ({"DEMO_RATE_LIMIT": "30/x"}, "DEMO_RATE_LIMIT"),
        ({"DEMO_RATE_LIMIT": "0/m"}, "DEMO_RATE_LIMIT"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
        ({"DEMO_SYNC_WORKERS": "0"}, "DEMO_SYNC_WORKERS"),
        ({"DEMO_LEASE_SECONDS": "0"}, "DEMO_LEASE_SECONDS"),
        (
            {"DATABASE_URL": "postgres://u@db:5432/x", "DATABASE_POOL_MAX_SIZE": "lots"},
            "DATABASE_POOL_MAX_SIZE",
        ),
        ({"WEATHER_TIMEOUT": "nan"}, "WEATHER_TIMEOUT"),
        ({"WEATHER_API_URL": "ftp://weather.example/"}, "WEATHER_API_URL"),
    ],
    ids=lambda value: (
        "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
    ),
)
def test_a_malformed_setting_stops_start_up_naming_the_variable(variables, named):
    result = run_python(START, **variables)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.strip().splitlines()[-1]


def test_production_starts_with_a_secret_key_and_good_values():
    shown = show_settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-test-secret-that-is-long-enough-for-production-0123456789",
        DEMO_RATE_LIMIT="5/s",
        DATABASE_URL="sqlite:////tmp/tutorial-test.sqlite3",
        DEMO_SYNC_WORKERS="16",
        WEATHER_API_URL="https://weather.example/api/",
        WEATHER_TIMEOUT="1.5",
    )

    assert shown["debug"] is False
    assert shown["rate"] == [5, 1]
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["db_name"] == "/tmp/tutorial-test.sqlite3"
    assert shown["workers"] == 16
    assert shown["weather"] == "https://weather.example/api/"
    assert shown["timeout"] == 1.5


def test_redis_url_switches_the_channel_layer_to_redis():
    shown = show_settings(REDIS_URL="redis://cache.internal:6379/1")

    assert shown["layer"] == {
        # channels-redis's RedisChannelLayer, riding out Redis restarts
        "BACKEND": "live.channel_layer.ResilientRedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": "redis://cache.internal:6379/1", "socket_connect_timeout": 1.0}],
            # Sized for classroom rooms (tests/test_rooms.py).
            "capacity": 1000,
            "group_expiry": 12 * 3600 + 3600,
        },
    }


def test_without_redis_the_channel_layer_is_in_memory():
    shown = show_settings()

    assert shown["layer"] == {
        "BACKEND": "channels.layers.InMemoryChannelLayer",
        "CONFIG": {"capacity": 1000, "group_expiry": 12 * 3600 + 3600},
    }
    assert shown["debug"] is True
    assert shown["rate"] == [30, 60]


def test_a_postgres_database_url_is_honoured():
    result = run_python(
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'])",
        DATABASE_URL="postgres://tutor:pw@db.internal:5433/tutorial",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "db.internal",
        "5433",
        "tutorial",
        "tutor",
    ]


def test_postgres_connections_come_from_a_checked_pool_not_kept_per_thread():
    result = run_python(
        "import json; from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['OPTIONS']]))",
        DATABASE_URL="postgres://tutor:pw@db.internal:5433/tutorial",
        DATABASE_POOL_MAX_SIZE="4",
    )

    assert result.returncode == 0, result.stderr
    max_age, health_checks, options = json.loads(result.stdout)
    assert max_age == 0
    assert health_checks is True
    assert options == {"pool": {"min_size": 1, "max_size": 4, "timeout": 10}}
