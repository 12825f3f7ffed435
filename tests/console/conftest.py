"""Console tests: the app with its supervisor and emulated panels, driven by a real headless
Chromium (Debian's `chromium`) through Playwright. No browser download: the system binary is used."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api
from tests.fleet.conftest import add_intercom, fleet_settings
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer, start_server

CHROMIUM = os.environ.get("ENTRYPHONE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# ENTRYPHONE_CONSOLE_SCREENSHOTS=docs/console: the walk saves a PNG of every page there.
SCREENSHOTS = os.environ.get("ENTRYPHONE_CONSOLE_SCREENSHOTS")


def chromium_path() -> str | None:
    found = shutil.which(CHROMIUM) if not os.path.isabs(CHROMIUM) else CHROMIUM
    return found if found and os.path.exists(found) else None


@pytest.fixture(scope="module")
def browser(console_server: RunningServer) -> Iterator[Any]:
    """Started after the server: Playwright's sync API holds an event loop in this thread, and the
    database fixtures run asyncio.run() in it (migrations) before that."""
    path = chromium_path()
    if path is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package `chromium`; .ci/run installs it)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # a deadline for a failing test, not a speed assertion

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def emulators(backend: str) -> Iterator[BackgroundEmulators]:
    running = BackgroundEmulators(count=3).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def console_server(settings: Settings) -> Iterator[RunningServer]:
    running = start_server(fleet_settings(settings))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def operator(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.admin, password="console-pass-1", name="Console operator")


@pytest.fixture(scope="module")
def admin_api(console_server: RunningServer, operator: seed.SeededAccount) -> Iterator[httpx.Client]:
    with Api(console_server.url).client(operator.token) as client:
        yield client


@pytest.fixture(scope="module")
def intercoms(settings: Settings, emulators: BackgroundEmulators) -> list[int]:
    """One intercom per emulated panel, titled so pages can be told apart."""
    return [
        add_intercom(settings, device, title=f"Entrance {number}")
        for number, device in enumerate(emulators.devices, start=1)
    ]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def sign_in(page: Any, server: RunningServer, login: str, password: str) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def screenshot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        target = Path(SCREENSHOTS)
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)
