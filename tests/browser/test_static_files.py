"""A phone's first visit gets every stylesheet and script compressed, under a name carrying a
hash of its content; when it opens its link again, its browser fetches none of them again."""

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, Response, expect

from tests.browser.test_live_journey import _join, _ready_live

HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")
STATIC_ENTRIES = """() => performance.getEntriesByType('resource')
  .filter(e => new URL(e.name).pathname.startsWith('/static/'))
  .map(e => [new URL(e.name).pathname, e.transferSize])"""


def test_phone_downloads_static_files_compressed_once(
    library, phone: Page, organisation, facilitator
):
    live = _ready_live(organisation, facilitator)
    first: dict[str, Response] = {}

    def keep(response: Response) -> None:
        path = urlsplit(response.url).path
        if path.endswith((".css", ".js")):
            first[path] = response

    phone.on("response", keep)
    _join(phone, code=None, token=live.qr_token, name="Dora", area="Ventas")
    phone.remove_listener("response", keep)

    assert {path.rsplit(".", 1)[1] for path in first} == {"css", "js"}
    assert [path for path in first if not HASHED.search(path)] == []
    for path, response in first.items():
        assert response.status == 200, path
        assert response.headers.get("content-encoding") in {"gzip", "br"}, path
        assert "immutable" in response.headers["cache-control"], path

    phone.goto(f"/p/{live.qr_token}/")
    expect(phone.locator("#stage")).to_be_visible()
    again = dict(phone.evaluate(STATIC_ENTRIES))
    assert set(first) <= set(again)
    # transferSize 0: taken from the browser's cache, not asked of the server.
    assert {path: size for path, size in again.items() if size} == {}
