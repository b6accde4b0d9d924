"""Hypothesis strategies and checks shared by the fuzz tests (tests/test_fuzz_*.py).

Hostile input for every public form: huge strings, control characters, odd unicode, SQL and
HTML payloads, wrong types (lists, numbers), missing and extra fields, broken bodies.
"""

from __future__ import annotations

import string
from typing import Any

from django.apps import apps
from django.db import connection
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

# A marker that no page contains on its own, so a reflected payload can be found exactly.
MARK = "zq7x"

# Payloads that must never come back unescaped.
MARKUP = [
    f"<script>alert('{MARK}')</script>",
    f'"><img src=x onerror=alert("{MARK}")>',
    f"'><svg/onload=alert('{MARK}')>",
    f"<a href=\"javascript:alert('{MARK}')\">x</a>",
    f"</textarea><script>{MARK}</script>",
    f"<style>body{{display:none}}</style>{MARK}",
    f"<iframe src=//evil.example/{MARK}>",
]

HOSTILE = [
    *MARKUP,
    "' OR '1'='1",
    "'; DROP TABLE intake_referral; --",
    "1; SELECT pg_sleep(5)--",
    '" OR ""="',
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "${7*7}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: hacked=1",
    "\u202egnp.exe",
    "\u200b\u200c\u200d\ufeff",
    "Zalgo: Z̷̢̛͓a̶̜̓l̵̳̈́g̸̻̿o̴̟͊",
    "🧠💉🩺" * 10,
    "𝕳𝖊𝖑𝖑𝖔",
    "ﷺ" * 50,
    "NaN",
    "Infinity",
    "-1",
    "1e309",
    "0x1F",
    "99999999999999999999999999",
    "-0.0",
    "0000-00-00",
    "9999-12-31",
    "1900-02-29",
    "2026-13-45",
    "31/02/2020",
    "1980-03-27T00:00:00Z",
    "true",
    "null",
    "[]",
    "{}",
    " ",
    "",
]

HUGE = ["A" * 70_000, "é" * 30_000, "<" * 20_000, "9" * 5_000, "\n" * 20_000]

CONTROL = "".join(chr(c) for c in [*range(0, 32), 127, 0x85, 0x2028, 0x2029])

_text_chars = st.characters(blacklist_categories=("Cs",))

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(_text_chars, max_size=120),
    st.text(alphabet=CONTROL, min_size=1, max_size=20),
    st.text(alphabet=string.printable, max_size=60),
    st.builds(lambda a, b: a + b, st.sampled_from(MARKUP), st.text(_text_chars, max_size=20)),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)

# Huge values are rare (1 in 25): they are slow to render, and one per post is enough.
field_value = st.integers(0, 24).flatmap(
    lambda n: (
        st.sampled_from(HUGE)
        if n == 0
        else st.lists(hostile_text, min_size=2, max_size=3)
        if n < 5
        else hostile_text
    )
)


@st.composite
def mutated_post(draw: st.DrawFn, base: dict[str, Any], *, max_changes: int = 6) -> dict:
    """Return `base` with some fields replaced by hostile values, dropped, or added."""
    data = dict(base)
    keys = sorted(base)
    changes = draw(st.lists(st.sampled_from(keys), max_size=max_changes, unique=True))
    for key in changes:
        if draw(st.integers(0, 4)) == 0:
            data.pop(key, None)
        else:
            data[key] = draw(field_value)
    extra = draw(
        st.dictionaries(
            st.text(string.ascii_letters + "_-[]", min_size=1, max_size=15),
            hostile_text,
            max_size=2,
        )
    )
    for key, value in extra.items():
        data.setdefault(key, value)
    return data


def fuzz_examples(share: float) -> int:
    """Return this test's number of examples: `share` × the profile's max_examples."""
    return max(5, int(share * hypothesis_settings.default.max_examples))


def _tables() -> list[str]:
    existing = set(connection.introspection.table_names())
    tables = {
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }
    return sorted(tables & existing)


def row_counts() -> dict[str, int]:
    """Return the number of rows in every table of every model, in one query."""
    tables = _tables()
    quote = connection.ops.quote_name
    # Table names come from the model registry, not from input.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    sql = f"SELECT {counts}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        values = cursor.fetchone()
    return dict(zip(tables, values, strict=True))


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in after if after[t] != before.get(t)}


def posted_strings(data: dict[str, Any]) -> list[str]:
    out = []
    for value in data.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                out.append(item)
    return out


def assert_not_reflected(html: str, data: dict[str, Any]) -> None:
    """No markup payload we posted comes back as live markup."""
    for value in posted_strings(data):
        for payload in MARKUP:
            if payload in value:
                assert payload not in html, f"reflected unescaped: {payload!r}"
    assert "<script>alert(" not in html
