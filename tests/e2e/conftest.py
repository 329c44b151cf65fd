"""Browser tests: Debian's Chromium driven by Playwright, against a real uvicorn server in this process.

Playwright's own browser download does not work here, so the tests launch ``/usr/bin/chromium`` (``apt-get install
chromium``; ``.ci/run`` installs it). Without it they skip with that reason, and under ``CI=true`` a skip fails the run.
WebCrypto needs a secure context, which ``http://127.0.0.1`` is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from litestar import Litestar
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.api.conftest import make_api
from tests.scenarios.world import World
from tests.servers import demo_process, free_port
from tests.verify_portal.conftest import Story, tell
from verify_portal import PortalSettings, portal_route_handlers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
PHONE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"  # the e2e tests' known folder


# Package scope, not session: Playwright's sync API keeps an event loop running in the main thread while it is open,
# and tests of later packages that run their own loop (anyio.run in tests/traceledger) fail beside it.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser suite: {CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized browser context (its own storage, IndexedDB included) and one page in it."""
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def live_server(app: Litestar) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free local port in a background thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def portal_app(world: World) -> Litestar:
    """The portal as ``traceledger serve`` composes it: the API beside the portal's pages (the consumer's too)."""
    handlers = portal_route_handlers(PortalSettings(scan_salt=b"e2e scan salt"))
    return make_api(world.fixture, read_rate_limit=None, write_rate_limit=None, extra_route_handlers=handlers)


@pytest.fixture
def ham(world: World) -> Story:
    """The portal tests' ham story (tests/verify_portal/conftest.py), told in this test's world."""
    return tell(world)


@pytest.fixture
def ham_url(world: World, ham: Story) -> Iterator[str]:
    """The ham story's portal, served live."""
    with live_server(portal_app(world)) as url:
        yield url


@pytest.fixture(scope="package")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A fresh demo home, built and served by ``traceledger demo`` in its own process (what ``./dev demo`` runs);
    its base URL and the log of what it printed."""
    folder = tmp_path_factory.mktemp("demo")
    log = folder / "demo.log"
    with demo_process(folder / "traceledger-demo", log) as (base_url, _):
        yield base_url, folder / "traceledger-demo"
