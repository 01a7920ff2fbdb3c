"""Static files go out under names carrying a hash of their content, cached for good, as the
gzip or brotli copy `collectstatic` made (config/static.py), our own minified, with the
security headers every page gets: from daphne on the laptop (ServeStatic in Django's
middleware) and from nginx in the scaled mode (deploy/nginx.conf.template)."""

import gzip
import os
import re
import subprocess
from pathlib import Path

import brotli
import django_htmx
import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from config.asgi import application
from config.static import KeepingCompressor, minified

ROOT = Path(__file__).resolve().parents[2]
SECURITY_HEADERS = [
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Content-Security-Policy",
]
ONE_YEAR = 365 * 24 * 60 * 60
HASHED = re.compile(r"\.[0-9a-f]{12}\.[^./]+$")


async def _served_by_daphne(
    path: str, accept_encoding: str = ""
) -> tuple[int, dict[str, str], bytes]:
    """What config.asgi answers, as daphne runs it (HttpCommunicator's own reader wants a
    body in every message; Django's last one has none, as ASGI allows)."""
    headers = [(b"host", b"localhost")]
    if accept_encoding:
        headers.append((b"accept-encoding", accept_encoding.encode()))
    communicator = HttpCommunicator(application, "GET", path, headers=headers)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(5)
    assert start["type"] == "http.response.start"
    body = b""
    while True:
        message = await communicator.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await communicator.wait()
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body


def served(path: str, accept_encoding: str = "") -> tuple[int, dict[str, str], bytes]:
    return async_to_sync(_served_by_daphne)(path, accept_encoding)


@pytest.fixture
def login_page(db) -> str:
    return Client().get(reverse("login")).text


@pytest.fixture
def page_headers(db) -> dict[str, str]:
    response = Client().get(reverse("login"))
    assert all(name in response.headers for name in SECURITY_HEADERS)
    return {name: response.headers[name] for name in SECURITY_HEADERS}


def test_pages_name_static_files_by_the_hash_of_their_content(login_page):
    linked = re.findall(r'(?:href|src)="(/static/[^"]+)"', login_page)
    assert static("css/app.css") in linked
    assert any(path.endswith(".js") for path in linked)
    assert all(HASHED.search(path) for path in linked), linked


@pytest.mark.parametrize("name", ["css/app.css", "js/live.js"])
@pytest.mark.parametrize(
    ("accept_encoding", "encoding", "decode"),
    [
        ("gzip, deflate, br, zstd", "br", brotli.decompress),
        ("gzip, deflate", "gzip", gzip.decompress),
        ("", None, bytes),
    ],
)
def test_daphne_serves_the_compressed_copy_the_browser_accepts(
    name, accept_encoding, encoding, decode
):
    status, headers, body = served(static(name), accept_encoding)
    assert status == 200
    assert headers.get("content-encoding") == encoding
    assert "accept-encoding" in headers["vary"].lower()
    hashed = staticfiles_storage.path(staticfiles_storage.stored_name(name))
    assert decode(body) == Path(hashed).read_bytes()


@pytest.mark.parametrize("name", ["css/live.css", "js/live.js"])
def test_pages_get_our_stylesheets_and_scripts_minified_and_static_keeps_them_readable(name):
    source = (ROOT / "static" / name).read_bytes()
    hashed = Path(staticfiles_storage.path(staticfiles_storage.stored_name(name))).read_bytes()
    assert b"/*" in source
    assert hashed == minified(name, source)
    assert len(hashed) < 0.8 * len(source)
    # The unhashed copy, which no page links to, stays as written.
    assert Path(staticfiles_storage.path(name)).read_bytes() == source


def test_vendored_scripts_are_served_as_they_ship():
    name = "django_htmx/htmx-2.min.js"
    shipped = Path(django_htmx.__file__).parent / "static" / name
    hashed = Path(staticfiles_storage.path(staticfiles_storage.stored_name(name)))
    assert hashed.read_bytes() == shipped.read_bytes()


@pytest.mark.parametrize("name", ["css/app.css", "js/live.js", "favicon.svg"])
def test_hashed_static_files_are_cached_for_a_year_and_never_revalidated(name):
    status, headers, _ = served(static(name), "gzip, br")
    assert status == 200
    directives = [d.strip() for d in headers["cache-control"].split(",")]
    max_age = next(int(d.split("=")[1]) for d in directives if d.startswith("max-age="))
    assert max_age >= ONE_YEAR
    assert "immutable" in directives
    assert "no-store" not in directives


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("css/app.css", 200),
        ("favicon.svg", 200),
        ("/static/no-such.js", 404),
        ("/static/css/app.0123456789ab.css", 404),
    ],
)
def test_daphne_serves_static_files_with_the_headers_of_the_pages(page_headers, path, status):
    served_status, headers, _ = served(path if path.startswith("/") else static(path), "gzip")
    assert served_status == status
    assert {name: headers.get(name.lower()) for name in SECURITY_HEADERS} == page_headers
    assert "access-control-allow-origin" not in headers


def test_collectstatic_compresses_a_file_again_only_when_it_changed(tmp_path):
    path = tmp_path / "app.css"
    path.write_text("main { color: #123; }\n" * 100)
    compressor = KeepingCompressor(quiet=True)
    compressor.compress(path)
    copies = [Path(f"{path}.br"), Path(f"{path}.gz")]
    for copy in copies:
        # A mark only writing the copy again would remove.
        os.utime(copy, ns=(1, 1))

    compressor.compress(path)
    assert [copy.stat().st_mtime_ns for copy in copies] == [1, 1]

    path.write_text("main { color: #456; }\n" * 100)
    compressor.compress(path)
    assert brotli.decompress(copies[0].read_bytes()) == path.read_bytes()
    assert gzip.decompress(copies[1].read_bytes()) == path.read_bytes()


@pytest.fixture
def nginx_conf() -> str:
    return subprocess.run(
        ["sh", "deploy/render-nginx.sh", "8001"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def _static_block(conf: str) -> str:
    block = re.search(r"location /static/ \{(.*?)\n    \}", conf, re.DOTALL)
    assert block is not None
    return block[1]


def test_nginx_serves_static_files_with_the_headers_of_the_pages(page_headers, nginx_conf):
    added = {
        name.lower(): (value, always)
        for name, value, always in re.findall(
            r'^\s*add_header (\S+) "([^"]*)"( always)?;$', _static_block(nginx_conf), re.MULTILINE
        )
    }
    # `always`: nginx adds headers to a 404 only when told to.
    assert {name: added.get(name.lower()) for name in SECURITY_HEADERS} == {
        name: (value, " always") for name, value in page_headers.items()
    }


def test_nginx_serves_the_gzip_copies_and_keeps_hashed_names_for_good(nginx_conf):
    block = _static_block(nginx_conf)
    assert re.search(r"^\s*gzip_static on;$", block, re.MULTILINE)
    variable = re.search(r"^\s*add_header Cache-Control (\$\w+);$", block, re.MULTILINE)
    assert variable is not None
    mapping = re.search(
        r"map \$uri " + re.escape(variable[1]) + r" \{(.*?)\n  \}", nginx_conf, re.DOTALL
    )
    assert mapping is not None
    rules = re.findall(r'^\s*"~([^"]+)" "([^"]+)";$', mapping[1], re.MULTILINE)
    default = re.search(r'^\s*default "([^"]+)";$', mapping[1], re.MULTILINE)
    assert rules and default is not None

    def cache_control(uri: str) -> str:
        return next((value for rule, value in rules if re.search(rule, uri)), default[1])

    assert cache_control(static("css/app.css")) == f"public, max-age={ONE_YEAR}, immutable"
    assert "immutable" not in cache_control("/static/css/app.css")
