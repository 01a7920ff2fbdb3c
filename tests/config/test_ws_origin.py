"""The websocket Origin check (issue 12, hole 7): scheme, host and port, as Django's CSRF
check asks of a POST."""

import pytest

from config.ws_origin import same_origin


def scope(origin: str | None, host: str = "127.0.0.1:8000") -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "headers": headers}


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", False),
        ("http://127.0.0.1", "127.0.0.1:8000", False),
        ("http://127.0.0.1:80", "127.0.0.1", True),  # the default port, written or not
        ("https://127.0.0.1:8000", "127.0.0.1:8000", False),
        ("http://localhost:8000", "127.0.0.1:8000", False),
        ("http://LOCALHOST:8000", "localhost:8000", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://evil.example:8000", "evil.example:8000", False),  # a host not allowed
        ("null", "127.0.0.1:8000", False),
        ("http://127.0.0.1:99999", "127.0.0.1:8000", False),
        ("http://127.0.0.1:x", "127.0.0.1:8000", False),
        (None, "127.0.0.1:8000", False),
    ],
)
def test_only_the_sites_own_origin_opens_a_socket(origin, host, allowed):
    assert same_origin(scope(origin, host)) is allowed


def test_behind_tls_the_scheme_is_https(settings):
    settings.HTTPS = True
    settings.ALLOWED_HOSTS = ["puente.example.com"]
    assert same_origin(scope("https://puente.example.com", "puente.example.com"))
    assert not same_origin(scope("http://puente.example.com", "puente.example.com"))


def test_a_trusted_origin_is_accepted_as_listed(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://salas.example.com"]
    assert same_origin(scope("https://salas.example.com", "127.0.0.1:8000"))
    assert not same_origin(scope("https://salas.example.com:444", "127.0.0.1:8000"))


def test_a_tls_proxy_says_which_scheme_the_browser_used(settings):
    settings.HTTPS = False
    settings.ALLOWED_HOSTS = ["puente.example.com"]
    tls = scope("https://puente.example.com", "puente.example.com")
    tls["headers"].append((b"x-forwarded-proto", b"https"))
    assert same_origin(tls)
    plain = scope("http://puente.example.com", "puente.example.com")
    plain["headers"].append((b"x-forwarded-proto", b"https"))
    assert not same_origin(plain)
