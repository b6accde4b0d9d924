"""A test run leaves `git status` clean: browser screenshots go to a temporary folder."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _screenshots_folder(monkeypatch: pytest.MonkeyPatch, value: str | None) -> Path:
    if value is None:
        monkeypatch.delenv("CHAIRSIDE_SCREENSHOTS", raising=False)
    else:
        monkeypatch.setenv("CHAIRSIDE_SCREENSHOTS", value)
    import tests.browser.conftest as browser_conftest

    return importlib.reload(browser_conftest).SCREENSHOTS


def test_browser_screenshots_go_outside_the_checkout_by_default(monkeypatch):
    folder = _screenshots_folder(monkeypatch, None)
    assert REPO not in folder.resolve().parents
    _screenshots_folder(monkeypatch, os.environ.get("CHAIRSIDE_SCREENSHOTS"))


def test_make_screenshots_refreshes_the_ones_in_docs(monkeypatch):
    folder = _screenshots_folder(monkeypatch, "docs")
    assert folder == REPO / "docs" / "screenshots"
    monkeypatch.delenv("CHAIRSIDE_SCREENSHOTS")
    _screenshots_folder(monkeypatch, None)
