"""A report opened in a real headless Chromium (Debian's ``chromium``), driven through the
DevTools protocol over a pipe (``--remote-debugging-pipe``: no port, no extra package): what
loaded, what the page asked the network for, what it logged, a screenshot, and a PDF print.

``check_page(path)`` returns a ``PageCheck``; ``print_pdf(path, out)`` prints the page to PDF.
``find_chromium()`` says where the browser is, or None.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The path of a Chromium binary on this machine, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageCheck:
    """What the browser saw: ``requests`` (URLs other than the page itself and data: URIs),
    ``errors`` (console errors, exceptions, failed loads), ``images`` (per image: loaded,
    natural width and height, rendered width in CSS pixels), ``text`` (the page's text),
    ``scroll_width`` (document width at the viewport width used), ``screenshot`` (PNG)."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    images: list[list[Any]] = field(default_factory=list)
    text: str = ""
    scroll_width: int = 0
    screenshot: bytes = b""


class _Browser:
    """One headless Chromium and its DevTools pipe (messages are NUL-terminated JSON)."""

    def __init__(self, binary: str) -> None:
        self.to_browser_r, self.to_browser_w = os.pipe()
        self.from_browser_r, self.from_browser_w = os.pipe()
        self.profile = tempfile.mkdtemp(prefix="practicesim-chromium-")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--remote-debugging-pipe", "--no-sandbox",
             "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             f"--user-data-dir={self.profile}", "about:blank"],
            close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=self._pipes_to_3_and_4)
        os.close(self.to_browser_r)
        os.close(self.from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _pipes_to_3_and_4(self) -> None:
        """In the child: the pipe ends on the descriptors Chromium expects (3 in, 4 out),
        inheritable (3 and 4 may have been close-on-exec files of the parent, e.g.
        matplotlib's fonts). ``close_fds=False``: subprocess would close them after
        ``preexec_fn`` runs."""
        read_end, write_end = os.dup(self.to_browser_r), os.dup(self.from_browser_w)
        os.dup2(read_end, 3)
        os.dup2(write_end, 4)
        os.set_inheritable(3, True)
        os.set_inheritable(4, True)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(f"{method}: no answer from Chromium in {timeout:.0f} s")

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while time.monotonic() < deadline:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(f"no {method} from Chromium in {timeout:.0f} s")

    def _read(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_browser_r, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.to_browser_w)
        os.close(self.from_browser_r)
        shutil.rmtree(self.profile, ignore_errors=True)


def _open(browser: _Browser, path: Path, width: int, height: int) -> str:
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1,
                  "mobile": width < 600}, session=session)
    browser.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired")
    return session


def _evaluate(browser: _Browser, session: str, expression: str) -> Any:
    result = browser.send("Runtime.evaluate", {"expression": expression,
                                               "returnByValue": True}, session=session)
    return result["result"].get("value")


def check_page(path: str | Path, width: int = 1200, height: int = 900,
               binary: str | None = None) -> PageCheck:
    """Open ``path`` in headless Chromium at ``width`` x ``height`` CSS pixels and report what
    it loaded, requested and logged, with a screenshot."""
    binary = binary or find_chromium()
    if binary is None:
        raise FileNotFoundError("no Chromium on this machine (apt-get install chromium)")
    path = Path(path)
    browser = _Browser(binary)
    try:
        session = _open(browser, path, width, height)
        check = PageCheck()
        check.images = _evaluate(browser, session, "JSON.stringify(Array.from(document.images)"
                                 ".map(i => [i.complete, i.naturalWidth, i.naturalHeight, "
                                 "i.getBoundingClientRect().width]))")
        check.images = json.loads(check.images)
        check.text = _evaluate(browser, session, "document.body.innerText")
        check.scroll_width = int(_evaluate(browser, session,
                                           "document.documentElement.scrollWidth"))
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
        check.screenshot = base64.b64decode(shot["data"])
        page = path.resolve().as_uri()
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if url != page and not url.startswith("data:"):
                    check.requests.append(url)
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                check.errors.append(str(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                check.errors.append(str(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                check.errors.append(params["entry"].get("text", ""))
            elif method == "Network.loadingFailed":
                check.errors.append(f"failed to load: {params.get('errorText')}")
        return check
    finally:
        browser.close()


def print_pdf(path: str | Path, out: str | Path, binary: str | None = None) -> Path:
    """Print the page at ``path`` to a PDF at ``out`` (A4-like US letter, backgrounds on)."""
    binary = binary or find_chromium()
    if binary is None:
        raise FileNotFoundError("no Chromium on this machine (apt-get install chromium)")
    browser = _Browser(binary)
    try:
        session = _open(browser, Path(path), 1000, 1400)
        pdf = browser.send("Page.printToPDF", {"printBackground": True,
                                               "preferCSSPageSize": True}, session=session,
                           timeout=60)
    finally:
        browser.close()
    out = Path(out)
    out.write_bytes(base64.b64decode(pdf["data"]))
    return out
