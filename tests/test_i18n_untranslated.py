"""Spanish pages carry no English: every msgid in the .po is translated, none shows through.

The scan renders each patient page in Spanish and looks for the English msgids of
locale/es/LC_MESSAGES/django.po in the visible text, so a string that was wrapped but not
translated, or a template that bypasses the catalogue for a wrapped string, fails here.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import referral_form_data

PO_FILE = Path(__file__).resolve().parents[1] / "locale" / "es" / "LC_MESSAGES" / "django.po"
# Words that only English prose uses: a page full of Spanish should not contain them.
ENGLISH_ONLY_WORDS = re.compile(
    r"\b(the|your|you|our|please|this|that|with|and|for|not|have|are|is|was|what|when|which)\b"
)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{[^}]*\}\}|\n")


def po_entries(path: Path = PO_FILE) -> list[tuple[str, str, bool]]:
    """Return (msgid, msgstr, fuzzy) for each live entry of a .po file.

    A plural entry gives one row per English form (singular and plural), each with its
    Spanish forms joined, or "" when any form is missing.
    """
    entries: list[tuple[str, str, bool]] = []
    current: dict | None = None
    target: str | None = None
    next_fuzzy = False

    def flush() -> None:
        if current and current["ids"][0]:
            forms = current["strs"]
            msgstr = "" if not forms or not all(forms) else " | ".join(forms)
            for msgid in current["ids"]:
                entries.append((msgid, msgstr, current["fuzzy"]))

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            next_fuzzy = True
        elif line.startswith("#~"):
            target = None
        elif line.startswith("msgid "):
            flush()
            current = {"ids": [ast.literal_eval(line[6:])], "strs": [], "fuzzy": next_fuzzy}
            next_fuzzy, target = False, "id"
        elif line.startswith("msgid_plural ") and current:
            current["ids"].append(ast.literal_eval(line[13:]))
            target = "id"
        elif line.startswith("msgstr") and current:
            current["strs"].append(ast.literal_eval(line.split(" ", 1)[1]))
            target = "str"
        elif line.startswith('"') and current and target == "id":
            current["ids"][-1] += ast.literal_eval(line)
        elif line.startswith('"') and current and target == "str":
            current["strs"][-1] += ast.literal_eval(line)
    flush()
    return entries


class _TextOf(HTMLParser):
    """Collect what a person sees or hears: text, plus alt/title/aria-label/placeholder."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"alt", "title", "aria-label", "placeholder"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_left_in(text: str) -> list[str]:
    """Return the English msgids (or long pieces of them) found in a Spanish text."""
    found = []
    for msgid, msgstr, _fuzzy in po_entries():
        if msgstr == msgid:
            continue
        for piece in PLACEHOLDER.split(msgid):
            piece = " ".join(piece.split()).strip(" .,:;")
            # A lone short word (e.g. "Sex") is checked whole; fragments of sentences too.
            if len(piece) < 3:
                continue
            if re.search(rf"(?<![\w]){re.escape(piece)}(?![\w])", text):
                found.append(piece)
    found += [f"word: {word}" for word in set(ENGLISH_ONLY_WORDS.findall(text))]
    return sorted(set(found))


def spanish_client() -> Client:
    client = Client(headers={"accept-language": "es"})
    client.cookies["django_language"] = "es"
    return client


def test_every_string_in_the_spanish_catalogue_is_translated():
    missing = [msgid for msgid, msgstr, _ in po_entries() if not msgstr]
    fuzzy = [msgid for msgid, _, is_fuzzy in po_entries() if is_fuzzy]
    assert not missing, f"untranslated: {missing}"
    assert not fuzzy, f"fuzzy (needs review): {fuzzy}"


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed (no gettext at test time): it must not be older than the .po."""
    with translation.override("es"):
        for msgid, msgstr, _ in po_entries():
            if " | " in msgstr:  # a plural entry
                continue
            assert translation.gettext(msgid) == msgstr, f"recompile the .mo: {msgid!r}"


def test_the_scanner_finds_english_on_a_page():
    assert "Send referral" in english_left_in("<p>Enviar</p> Send referral")
    assert english_left_in("Enviar referido") == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/refer/", "/no-such-page/"])
def test_public_pages_in_spanish_have_no_english_left(url):
    response = spanish_client().get(url)
    assert english_left_in(visible_text(response.content.decode())) == []


@pytest.mark.django_db
def test_the_referral_form_with_every_error_in_spanish_has_no_english_left():
    data = referral_form_data(
        provider_npi="1234567890", diagnosis_code="G35", weight_kg="5", allergies="penicillin"
    )
    data.pop("submitter_kind")
    response = spanish_client().post("/refer/", data)
    text = visible_text(response.content.decode())
    assert "Hay un problema" in text
    assert english_left_in(text) == []


@pytest.mark.django_db
def test_the_referral_received_page_in_spanish_has_no_english_left():
    client = spanish_client()
    response = client.post("/refer/", referral_form_data(preferred_language="es"))
    page = client.get(response.url)
    assert english_left_in(visible_text(page.content.decode())) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "template",
    [
        "clinic/link_dob.html",
        "clinic/link_expired.html",
        "clinic/link_locked.html",
        "clinic/link_unknown.html",
        "clinic/link_used.html",
        "errors/400.html",
        "errors/403.html",
        "errors/404.html",
        "errors/410.html",
        "errors/429.html",
        "errors/500.html",
        "403_csrf.html",
    ],
)
def test_link_and_error_pages_in_spanish_have_no_english_left(rf, template):
    from django.template.loader import render_to_string

    from clinic.forms import DateOfBirthForm

    request = rf.get("/")
    request.session = {}
    with translation.override("es"):
        request.LANGUAGE_CODE = "es"
        html = render_to_string(
            template, {"form": DateOfBirthForm({"date_of_birth": "1800-01-01"})}, request
        )
    assert english_left_in(visible_text(html)) == []
