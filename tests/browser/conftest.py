"""The browser harness: the real ASGI app served by daphne in its own process against the
test database, driven by Debian's Chromium through Playwright.

Browser tests use the `transactional_db` (data must be committed for the server process to
see it). A missing Chromium is a failure, never a skip.
"""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.servers import free_port, server_env, start_daphne, stop

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
# set up data are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
    ),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: None) -> Iterator[str]:
    port = free_port()
    log_path = ROOT / "var" / "browser-server.log"
    log = log_path.open("w")
    process = start_daphne(port, server_env(), log, log_path)
    yield f"http://127.0.0.1:{port}"
    stop(process)
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Debian's chromium is not installed: run `make browser`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Screens:
    """Writes screenshots where a person can look at them: var/screenshots/<test>/."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)

    def shot(self, page: Page, name: str, full_page: bool = True) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    return Screens(request.node.name)


_allowed_errors: dict[Page, list[str]] = {}


def allow_console_error(page: Page, pattern: str) -> None:
    """Expect console errors matching `pattern` on this page (a browser reporting a failed
    connection while a test holds it offline, say); anything else still fails the test."""
    _allowed_errors.setdefault(page, []).append(pattern)


def unexpected(page: Page, errors: list[str]) -> list[str]:
    patterns = _allowed_errors.pop(page, [])
    return [e for e in errors if not any(re.search(p, e) for p in patterns)]


def watch_errors(page: Page) -> list[str]:
    """Collect the page's console errors, uncaught exceptions and HTTP>=400 responses."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return errors


def _page(browser: Browser, base_url: str, options: dict) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, locale="es-CO", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = watch_errors(page)
    yield page
    context.close()
    # A CSP violation or a script error is a bug even when the page looks right.
    errors = unexpected(page, errors)
    assert not errors, f"browser console errors: {errors}"


@pytest.fixture
def laptop(browser: Browser, live_server_url: str, transactional_db: None) -> Iterator[Page]:
    yield from _page(browser, live_server_url, LAPTOP)


@pytest.fixture
def phone(browser: Browser, live_server_url: str, transactional_db: None) -> Iterator[Page]:
    yield from _page(browser, live_server_url, PHONE)


@pytest.fixture
def phones(
    browser: Browser, live_server_url: str, transactional_db: None
) -> Iterator[Callable[[int], list[Page]]]:
    """A factory of phones, each in its own browser context (its own cookies and storage)."""
    with ExitStack() as stack:

        def make(count: int) -> list[Page]:
            return [
                stack.enter_context(contextmanager(_page)(browser, live_server_url, PHONE))
                for _ in range(count)
            ]

        yield make


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/entrar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/$"))
