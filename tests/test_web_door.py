"""The browser door in a real headless chromium: load the page (every request it makes is
to the door), join through the connect screen, talk with a native client both ways, and
take a screenshot."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.browser import Browser
from tests.conftest import ClientFactory, ServerFactory, matching
from tests.system import needs


@needs("chromium", "chromium")
async def test_browser_user_joins_and_talks_with_a_native_client_from_a_page_of_ours_alone(
        make_server: ServerFactory, join: ClientFactory, tmp_path: Path) -> None:
    server = make_server(web_port=0)
    bob = join("bob", target=server)
    browser = await Browser.launch(tmp_path / "profile")
    try:
        await browser.open(f"http://127.0.0.1:{server.ports.web}/")
        await browser.wait_for_text("join a chat")
        assert browser.requested, "no request recorded"
        elsewhere = [url for url in browser.requested
                     if urlsplit(url).hostname != "127.0.0.1" and not url.startswith("data:")]
        assert not elsewhere, elsewhere  # no font, script or picture from another site
        await browser.type("carol")
        await browser.press_enter()
        bob.inbox.wait_for(matching("join", name="carol"))
        await browser.wait_for_text("#lobby")
        await browser.type("hello from a browser")
        await browser.press_enter()
        bob.inbox.wait_for(matching("message", **{"from": "carol",
                                                  "text": "hello from a browser"}))
        bob.say_and_wait("hello from a terminal")
        await browser.wait_for_text("hello from a terminal")
        shot = await browser.screenshot(tmp_path / "web.png")
    finally:
        await browser.close()
    assert shot.read_bytes().startswith(b"\x89PNG")
