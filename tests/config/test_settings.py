import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import database_from_url, env_bool

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "HTTPS", "SECRET_KEY", "EMAIL_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_https_without_a_secret_key_refuses_to_start():
    result = _manage("check", env={"HTTPS": "1"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_postgres_url_is_parsed_with_health_checks():
    db = database_from_url("postgresql://ana:s%40cret@db.local:6543/puente?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "ana",
        "s@cret",
        "db.local",
        "6543",
        "puente",
    )
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_pool_size_turns_on_psycopg_pool_without_persistent_connections(monkeypatch):
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)
    plain = database_from_url("postgresql://ana@db.local/puente")
    assert "pool" not in plain["OPTIONS"]
    assert plain["CONN_MAX_AGE"] == 0  # closed per request: under ASGI a thread per request
    monkeypatch.setenv("DB_POOL_SIZE", "8")
    pooled = database_from_url("postgresql://ana@db.local/puente?sslmode=require")
    assert pooled["OPTIONS"] == {
        "sslmode": "require",
        "pool": {"min_size": 2, "max_size": 8, "timeout": 10},
    }
    assert pooled["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    monkeypatch.setenv("DB_POOL_SIZE", "ocho")
    with pytest.raises(ImproperlyConfigured, match="DB_POOL_SIZE must be a whole number"):
        database_from_url("postgresql://ana@db.local/puente")


GUIDE = (ROOT / "docs" / "deploy.md").read_text()
DEPLOY_CHECK_STEP = GUIDE[GUIDE.index("### 5.") : GUIDE.index("### 6.")]
EXAMPLE_ENV = ROOT / "deploy" / "puente.env.example"
A_SECRET_KEY = "k" * 20 + "-a-long-random-secret-for-production-only-0123456789"


def _example_env() -> dict[str, str]:
    env = {}
    for line in EXAMPLE_ENV.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip('"')
    return env


def _deploy_check(env: dict[str, str], var_dir) -> subprocess.CompletedProcess:
    """The deploy check as docs/deploy.md (step 5) runs it, on the example file with only
    what the guide says to change: SECRET_KEY, and PUENTE_VAR_DIR for a test machine."""
    env = {**env, "PUENTE_VAR_DIR": str(var_dir)}  # not /var/lib/puente on a test machine
    return _manage("check", "--deploy", "--fail-level", "WARNING", env=env)


def test_the_example_production_environment_passes_the_deploy_check(tmp_path):
    env = _example_env()
    assert env["HTTPS"] == "1" and env["DATABASE_URL"].startswith("postgresql://")
    result = _deploy_check({**env, "SECRET_KEY": A_SECRET_KEY}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "`SECRET_KEY`" in DEPLOY_CHECK_STEP and "`PUENTE_VAR_DIR`" in DEPLOY_CHECK_STEP


@pytest.mark.parametrize(
    ("variable", "replaced_by", "failure"),
    [
        ("HTTPS", None, "SESSION_COOKIE_SECURE"),
        ("SECRET_KEY", "", "SECRET_KEY must be set when HTTPS is on."),
        ("EMAIL_BACKEND", None, "puente.E001"),
        ("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", "mail.E001"),
    ],
    ids=["no-https", "empty-secret-key", "no-email-backend", "console-email-backend"],
)
def test_the_guide_and_the_example_name_what_the_deploy_check_needs(
    tmp_path, variable, replaced_by, failure
):
    env = {**_example_env(), "SECRET_KEY": A_SECRET_KEY}
    if replaced_by is None:
        del env[variable]
    else:
        env[variable] = replaced_by
    result = _deploy_check(env, tmp_path)
    assert result.returncode != 0
    assert failure in result.stdout + result.stderr
    # Whoever leaves it out learns why from the guide's deploy check step and the example.
    assert f"`{variable}" in DEPLOY_CHECK_STEP
    if failure.endswith("E001"):
        assert failure in DEPLOY_CHECK_STEP and failure in EXAMPLE_ENV.read_text()


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(settings):
    db = database_from_url("sqlite:////tmp/x.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_unknown_database_scheme_fails_loudly():
    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://x@y/z")


def test_bad_boolean_fails_loudly(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "quizás")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG", False)


def test_backends_follow_the_environment(settings):
    if os.environ.get("DATABASE_URL"):
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    else:
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "channels_redis.core.RedisChannelLayer"
    else:
        assert backend == "channels.layers.InMemoryChannelLayer"
