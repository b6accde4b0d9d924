"""Must show 5: nothing in the app sends email or calls out except the outbox's send task.

Views, forms and the services they call only write Notice rows (clinic.notices); the one
module that talks to a mail server or the on-call webhook is clinic/notices.py, run by the
task queue. This reads the source (AST), so a `send_mail` can't creep back in.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("clinic", "intake", "scheduling")
# The only module allowed to deliver: the outbox's send task.
SENDER = "clinic/notices.py"
OUTSIDE_MODULES = {"django.core.mail", "smtplib", "urllib.request", "http.client", "requests"}
SENDING_CALLS = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "send_messages",
    "urlopen",
}
MESSAGE_CLASSES = {"EmailMessage", "EmailMultiAlternatives"}


def offences(source: str) -> list[str]:
    """Return what in `source` sends mail or calls out, one line each."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if any(node.module == m or node.module.startswith(m + ".") for m in OUTSIDE_MODULES):
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in OUTSIDE_MODULES:
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SENDING_CALLS:
                found.append(f"line {node.lineno}: {name}(...)")
            if (
                name == "send"
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Call)
                and getattr(func.value.func, "id", getattr(func.value.func, "attr", ""))
                in MESSAGE_CLASSES
            ):
                found.append(f"line {node.lineno}: EmailMessage(...).send()")
    return found


def app_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_only_the_outbox_send_task_sends_email_or_calls_out():
    found = {}
    for path in app_modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative == SENDER:
            continue
        if hits := offences(path.read_text(encoding="utf-8")):
            found[relative] = hits
    assert found == {}


def test_the_check_finds_every_way_of_sending():
    code = """
from django.core.mail import send_mail, EmailMessage
import smtplib
from urllib.request import urlopen
send_mail("s", "b", None, ["a@example.test"])
EmailMessage("s", "b", None, ["a@example.test"]).send()
mail.get_connection().send_messages([])
urlopen("https://example.test")
"""
    assert len(offences(code)) == 7


def test_the_sender_is_where_delivery_happens():
    hits = offences((ROOT / SENDER).read_text(encoding="utf-8"))
    assert any("django.core.mail" in hit for hit in hits)
    assert any("urlopen" in hit for hit in hits)
