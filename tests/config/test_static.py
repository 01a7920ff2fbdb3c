"""Static files go out with the security headers every page gets: from daphne on the laptop
(config/static.py) and from nginx in the scaled mode (deploy/nginx.conf.template)."""

import re
import subprocess
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.test import Client
from django.urls import reverse

from config.asgi import application

ROOT = Path(__file__).resolve().parents[2]
SECURITY_HEADERS = [
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Content-Security-Policy",
]


async def _served_by_daphne(path: str) -> tuple[int, dict[str, str]]:
    """What config.asgi answers, as daphne runs it (HttpCommunicator's own reader wants a
    body in every message; Django's last one has none, as ASGI allows)."""
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"localhost")])
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(5)
    assert start["type"] == "http.response.start"
    while (await communicator.receive_output(5)).get("more_body", False):
        pass
    await communicator.wait()
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], headers


@pytest.fixture
def page_headers(db) -> dict[str, str]:
    response = Client().get(reverse("login"))
    assert all(name in response.headers for name in SECURITY_HEADERS)
    return {name: response.headers[name] for name in SECURITY_HEADERS}


@pytest.mark.parametrize(
    ("path", "status"),
    [("/static/css/app.css", 200), ("/static/favicon.svg", 200), ("/static/no-such.js", 404)],
)
def test_daphne_serves_static_files_with_the_headers_of_the_pages(page_headers, path, status):
    served_status, headers = async_to_sync(_served_by_daphne)(path)
    assert served_status == status
    assert {name: headers.get(name.lower()) for name in SECURITY_HEADERS} == page_headers


def test_static_files_stay_cacheable(page_headers):
    # Only pages are kept out of the cache (config.middleware.NoStoreMiddleware).
    _, headers = async_to_sync(_served_by_daphne)("/static/css/app.css")
    assert "no-store" not in headers.get("cache-control", "")


def test_nginx_serves_static_files_with_the_headers_of_the_pages(page_headers):
    rendered = subprocess.run(
        ["sh", "deploy/render-nginx.sh", "8001"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    static_block = re.search(r"location /static/ \{(.*?)\n    \}", rendered, re.DOTALL)
    assert static_block is not None
    added = {
        name.lower(): (value, always)
        for name, value, always in re.findall(
            r'^\s*add_header (\S+) "([^"]*)"( always)?;$', static_block[1], re.MULTILINE
        )
    }
    # `always`: nginx adds headers to a 404 only when told to.
    assert {name: added.get(name.lower()) for name in SECURITY_HEADERS} == {
        name: (value, " always") for name, value in page_headers.items()
    }
