"""Headless chromium driven over the DevTools protocol, and the terminal a browser door
session draws, as text: enough to load the page, type, read the screen and screenshot.

The protocol is spoken directly over aiohttp's websocket client (aiohttp is already
installed with textual-serve), so the tests need no browser-automation package.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = "chromium"
WAIT = 20.0
"""Upper bound for a wait on the page (a session starts a Python process)."""
POLL = 0.05
_ESCAPES = re.compile(
    r"\x1b(\[[0-9;?<>=!]*[ -/]*[@-~]"  # CSI: colours, cursor moves, modes
    r"|\][^\x07\x1b]*(\x07|\x1b\\)"  # OSC: titles, clipboard
    r"|[()][0-9A-Za-z]|.)"  # character sets, and any other two-byte escape
)
RECORDER = """
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  window.__drawn = "";
  window.WebSocket = function (url, protocols) {
    const socket = new Native(url, protocols);
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.__drawn += decoder.decode(new Uint8Array(event.data), {stream: true});
      }
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
})();
"""
"""Keeps the bytes the door sends the page's terminal in ``window.__drawn``."""


def visible_text(drawn: str) -> str:
    """What a terminal stream writes, without its escape sequences."""
    return _ESCAPES.sub("", drawn)


class Browser:
    """One headless chromium with one page, over the DevTools protocol."""

    def __init__(self, process: asyncio.subprocess.Process, http: aiohttp.ClientSession,
                 page: aiohttp.ClientWebSocketResponse) -> None:
        self._process = process
        self._http = http
        self._page = page
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.requested: list[str] = []
        """The URL of every request the page made (``Network.requestWillBeSent``)."""
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def launch(cls, profile: Path, size: tuple[int, int] = (1100, 700)) -> Browser:
        """Start chromium (``profile`` is its throw-away user data dir) on about:blank."""
        program = shutil.which(CHROMIUM)
        assert program is not None, "chromium is not installed"
        process = await asyncio.create_subprocess_exec(
            program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--remote-debugging-port=0", f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        endpoint = ""
        async with asyncio.timeout(WAIT):
            while not endpoint:
                line = (await process.stderr.readline()).decode()
                assert line, "chromium ended before it listened"
                if line.startswith("DevTools listening on "):
                    endpoint = line.split()[-1]
        port = endpoint.split(":")[2].split("/")[0]
        http = aiohttp.ClientSession()
        async with http.get(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = await answer.json()
        page = next(t for t in targets if t["type"] == "page")
        socket = await http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        browser = cls(process, http, socket)
        await browser.call("Page.enable")
        await browser.call("Network.enable")
        await browser.call("Page.addScriptToEvaluateOnNewDocument", source=RECORDER)
        return browser

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Run one DevTools command; its result."""
        number = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[number] = answer
        await self._page.send_str(json.dumps({"id": number, "method": method,
                                              "params": params}))
        async with asyncio.timeout(WAIT):
            reply = await answer
        assert "error" not in reply, reply
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def _read(self) -> None:
        async for message in self._page:
            reply = json.loads(message.data)
            if reply.get("method") == "Network.requestWillBeSent":
                self.requested.append(reply["params"]["request"]["url"])
            answer = self._answers.pop(reply.get("id", 0), None)
            if answer is not None and not answer.done():
                answer.set_result(reply)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = await self.call("Runtime.evaluate", expression=expression,
                                 returnByValue=True)
        return result["result"].get("value")

    async def open(self, url: str) -> None:
        await self.call("Page.navigate", url=url)

    async def screen_text(self) -> str:
        """Everything the door has drawn in the page's terminal so far, as text."""
        return visible_text(str(await self.evaluate("window.__drawn || ''")))

    async def wait_for_text(self, text: str, since: int = 0) -> int:
        """Wait until the terminal draws ``text`` (after the first ``since`` characters of
        the screen text); how much text it has drawn by then."""
        async with asyncio.timeout(WAIT):
            while text not in (screen := await self.screen_text())[since:]:
                await asyncio.sleep(POLL)  # the page has no event to wait on: poll it
        return len(screen)

    async def type(self, text: str) -> None:
        """Type into the terminal (its hidden text area has the focus)."""
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        await self.call("Input.insertText", text=text)

    async def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                            windowsVirtualKeyCode=13, text="\r" if kind == "keyDown" else "")

    async def screenshot(self, path: Path) -> Path:
        """Save what the page shows as a PNG."""
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        self._reader.cancel()
        await self._page.close()
        await self._http.close()
        self._process.terminate()
        await self._process.wait()
