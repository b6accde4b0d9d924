"""Real-browser fixtures: Debian's Chromium driven by Playwright against Django's live server.

On a machine without /usr/bin/chromium the browser tests are skipped with one reason; in CI
(`CHAIRSIDE_REQUIRE_BROWSER=1`, set by .ci/run) a missing browser fails them instead.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CHAIRSIDE_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# A test run leaves the checkout clean: screenshots go to a temporary folder unless
# CHAIRSIDE_SCREENSHOTS=docs (`make screenshots`) asks to refresh the ones in docs/.
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("CHAIRSIDE_SCREENSHOTS") == "docs"
    else Path(tempfile.gettempdir()) / "chairside-screenshots"
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
_PATHS_KEY = pytest.StashKey[list[str]]()
_SKIPPED_KEY = pytest.StashKey[int]()

# Every browser test drives the live server thread, so it needs real commits; the data
# migrations' rows (therapies, staff groups) are restored for each test.
browser_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


_NO_BROWSER = f"browser tests skipped: no Chromium at {CHROMIUM}"


def pytest_collection_modifyitems(config, items) -> None:
    """Without Chromium (and outside CI) leave the browser tests out, with one line saying so."""
    if CHROMIUM.exists() or REQUIRE_BROWSER:
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if browser_items:
        config.hook.pytest_deselected(items=browser_items)
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        config.stash[_SKIPPED_KEY] = len(browser_items)


class _Chromium:
    """One Chromium, started by the first browser test and stopped after the last one.

    Playwright's sync API marks an event loop as running in this thread while it is up, so
    the ORM needs DJANGO_ALLOW_ASYNC_UNSAFE (the live server is a thread). Both are confined
    to the run of browser tests, so later tests and their subprocesses see neither.
    """

    playwright: Any = None
    chromium: Any = None
    saved_env: str | None = None

    @classmethod
    def start(cls) -> Any:
        from django.db import connections
        from playwright.sync_api import sync_playwright

        cls.saved_env = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        # With the loop marked running, Django's per-context connection store hands out
        # fresh connection objects: carry over the test database's serialized contents, or
        # `serialized_rollback` would silently restore nothing after a flush.
        serialized = {
            alias: connections[alias]._test_serialized_contents
            for alias in connections
            if hasattr(connections[alias], "_test_serialized_contents")
        }
        cls.playwright = sync_playwright().start()
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        cls.chromium = cls.playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        return cls.chromium

    @classmethod
    def stop(cls) -> None:
        if cls.playwright is None:
            return
        try:
            cls.chromium.close()
        finally:
            cls.playwright.stop()
            cls.playwright = cls.chromium = None
            if cls.saved_env is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = cls.saved_env


@pytest.fixture
def browser(django_db_setup) -> Any:
    """Return the headless Chromium (started on first use)."""
    if not CHROMIUM.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"CHAIRSIDE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    return _Chromium.chromium or _Chromium.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # Stop Chromium once the test's own teardown (the database flush) has run, when the next
    # test is not a browser test: tests run after this one must not see the running loop.
    yield
    if nextitem is None or nextitem.get_closest_marker("browser") is None:
        _Chromium.stop()


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable[..., Any]]:
    """Return a factory of fresh browser contexts (a new browser profile: no cookies)."""
    contexts = []

    def make(*, locale: str = "en-US", viewport: dict | None = None, **kwargs):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport=viewport or DESKTOP,
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Any:
    """A desktop page in English that fails the test on any console error (e.g. CSP)."""
    return watched_page(new_context())


def watched_page(context) -> Any:
    """Open a page that records console errors, so CSP breaches and JS errors surface."""
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    return page


def assert_no_console_errors(page) -> None:
    # A 4xx page (an expired link, the DOB gate's 429) logs "Failed to load resource".
    errors = [e for e in page.console_errors if "Failed to load resource" not in e]
    assert not errors, f"console errors on {page.url}: {errors}"


def assert_accessible(page, name: str) -> None:
    """Run axe on the page; fail on any serious or critical violation, listing each."""
    from axe_playwright_python.sync_playwright import Axe

    before_axe = len(page.console_errors)
    results = Axe().run(page)
    # axe's own injected script sets inline styles while it measures some pages (admin change
    # forms): the CSP rightly blocks those. The page's own breaches were logged before it ran.
    page.console_errors[before_axe:] = [
        e for e in page.console_errors[before_axe:] if "Applying inline style violates" not in e
    ]
    bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
    lines = []
    for violation in bad:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']} {targets}")
    assert not bad, f"axe on {name} ({page.url}):\n" + "\n".join(lines)
    assert_no_console_errors(page)


def assert_fits_narrow_screen(page, name: str) -> None:
    """Check the page reflows at 320 CSS px, and with text at 200% on a 640 px window.

    320 px is a 1280 px screen zoomed to 400% (WCAG 1.4.10); doubled text at 640 px is
    200% zoom of a small laptop (1.4.4). Either way nothing may need sideways scrolling.
    """
    original = page.viewport_size
    overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    try:
        page.set_viewport_size({"width": 320, "height": 640})
        sideways = page.evaluate(overflow)
        assert sideways <= 1, f"{name} scrolls sideways by {sideways}px at 320px wide"
        page.set_viewport_size({"width": 640, "height": 800})
        size = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
        normal = page.evaluate(size)
        page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
        assert page.evaluate(size) >= 2 * normal - 0.5, "text did not grow (CSP?)"
        sideways = page.evaluate(overflow)
        assert sideways <= 1, f"{name} scrolls sideways by {sideways}px with 200% text"
    finally:
        page.evaluate("() => { document.documentElement.style.fontSize = ''; }")
        page.set_viewport_size(original)


def save_screenshots(page, name: str, *, full_page: bool = True) -> None:
    """Save desktop and phone PNGs of the current page (into docs/ under `make screenshots`).

    Long forms pass full_page=False: the first screen (heading, error summary) is the point.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    try:
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=full_page)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=full_page)
    finally:
        page.set_viewport_size(original)


def fill_form(page, data: dict[str, str], *, skip: tuple[str, ...] = ()) -> None:
    """Fill a form by field name as a person would: type, tick, choose."""
    for name, value in data.items():
        if name in skip or name in {"submission_key", "website", "csrfmiddlewaretoken"}:
            continue
        field = page.locator(f"[name='{name}']")
        if field.count() == 0:
            continue
        first = field.first
        tag = first.evaluate("el => el.tagName.toLowerCase()")
        kind = (first.get_attribute("type") or "").lower()
        if tag == "select":
            first.select_option(value)
        elif kind == "radio":
            page.locator(f"[name='{name}'][value='{value}']").check()
        elif kind == "checkbox":
            if value:
                first.check()
            else:
                first.uncheck()
        elif kind == "file":
            continue
        else:
            first.fill(value)


def live_path(url: str) -> str:
    """Return the path of an emailed link (emails use SITE_URL; the browser the live server)."""
    match = re.search(r"https?://[^/\s]+(/\S*)", url)
    assert match, f"no link in {url!r}"
    return match.group(1)


@pytest.fixture
def path_done(request) -> Callable[[str], None]:
    """Record a finished patient or staff path; the run's summary lists every one."""

    def record(description: str) -> None:
        request.config.stash.setdefault(_PATHS_KEY, []).append(description)

    return record


def pytest_sessionfinish(session, exitstatus) -> None:
    # A run stopped early (-x, Ctrl+C) skips the last teardown: don't leave Chromium behind.
    _Chromium.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if config.stash.get(_SKIPPED_KEY, 0):
        terminalreporter.write_line(f"{_NO_BROWSER} ({config.stash[_SKIPPED_KEY]} tests)")
    paths = config.stash.get(_PATHS_KEY, [])
    if paths:
        terminalreporter.section("browser paths covered")
        for description in paths:
            terminalreporter.write_line(f"PATH: {description} ... ok")
