"""The W3C HTML checker (Nu, vnu.jar) finds no error on the staff and patient pages.

Every page a test can reach is rendered, written to a folder and checked in ONE run of the
checker (its Java start is the slow part). Needs Java and the `vnu-jar` npm package:
`.ci/run` installs it into `.ci/node/` (ignored by git) and sets CHAIRSIDE_REQUIRE_HTML_CHECK=1,
so in CI a missing checker fails; elsewhere the test is skipped and says how to get it.
`CHAIRSIDE_VNU_JAR` points at another vnu.jar.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from clinic import views as clinic_views
from clinic.links import link_create
from clinic.models import PrivateLink
from scheduling import planning
from scheduling.booking import course_book, session_book
from scheduling.models import Authorisation, Chair, Session, WaitlistEntry
from scheduling.monitoring import monitoring_plan
from tests.factories import (
    PatientFactory,
    clinic_week,
    ready_course,
    referral_form_data,
    sent_check,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]
VNU_JAR = Path(
    os.environ.get("CHAIRSIDE_VNU_JAR")
    or ROOT / ".ci" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)
REQUIRED = os.environ.get("CHAIRSIDE_REQUIRE_HTML_CHECK") == "1"
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth
# A page the checker must fault, so a run that checks nothing can't pass.
CONTROL = (
    '<!doctype html><html lang="en"><title>x</title>'
    '<div role="table"><a href="/" role="cell">x</a></div>'
)
SAFETY_ANSWERS = {
    "action": "next",
    "fever_infection": "0",
    "antibiotics": "0",
    "vaccine": "0",
    "pregnant": "0",
    "reaction_last": "0",
    "new_neuro": "0",
}


def _checker() -> list[str]:
    """Return the command that runs the checker, or skip (fail in CI) without it."""
    java = shutil.which("java")
    if java and VNU_JAR.is_file():
        return [java, "-Xss2m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always"]
    reason = (
        "the W3C HTML checker needs Java and vnu.jar: `npm install --prefix .ci/node vnu-jar` "
        f"(or set CHAIRSIDE_VNU_JAR); java={java!r}, jar={VNU_JAR} exists={VNU_JAR.is_file()}"
    )
    if REQUIRED:
        pytest.fail(f"CHAIRSIDE_REQUIRE_HTML_CHECK=1 but {reason}")
    pytest.skip(reason)


def _ok(client: Client, url: str, status: int = 200, **post: str) -> str:
    response = client.post(url, post) if post else client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def _patient_pages() -> dict[str, str]:
    pages: dict[str, str] = {}
    anonymous = Client()
    pages["home"] = _ok(anonymous, "/")
    pages["referral form"] = _ok(anonymous, "/refer/")
    bad = referral_form_data(provider_npi="1234567890", diagnosis_code="G35", weight_kg="5")
    bad.pop("submitter_kind")
    pages["referral form with errors"] = _ok(anonymous, "/refer/", **bad)
    done = anonymous.post("/refer/", referral_form_data())
    pages["referral received"] = _ok(anonymous, done.url)
    pages["not found"] = _ok(anonymous, "/no-such-page/", status=404)

    patient = PatientFactory()
    _qreq, url = sent_check(patient=patient, codes=("safety_check", "ms_symptoms"))
    link = url.replace("https://chairside.test", "")
    questionnaire = Client()
    pages["link date of birth"] = _ok(questionnaire, link)
    pages["link date of birth, wrong"] = _ok(questionnaire, link, date_of_birth="1999-01-01")
    assert questionnaire.post(link, {"date_of_birth": DOB}).status_code == 302
    pages["questionnaire start"] = _ok(questionnaire, link)
    pages["questionnaire step"] = _ok(questionnaire, f"{link}step/1/")
    pages["questionnaire step with errors"] = _ok(questionnaire, f"{link}step/1/", action="next")
    assert questionnaire.post(f"{link}step/1/", SAFETY_ANSWERS).status_code == 302
    pages["questionnaire scales"] = _ok(questionnaire, f"{link}step/2/")
    assert questionnaire.post(f"{link}step/2/", {"action": "save"}).status_code == 302
    pages["questionnaire saved"] = _ok(questionnaire, f"{link}saved/")
    pages["questionnaire review"] = _ok(questionnaire, f"{link}review/")

    _qreq, url = sent_check(patient=patient, codes=("safety_check",))
    short = url.replace("https://chairside.test", "")
    questionnaire.post(short, {"date_of_birth": DOB})
    questionnaire.post(f"{short}step/1/", SAFETY_ANSWERS)
    assert questionnaire.post(f"{short}review/").status_code == 302
    pages["questionnaire done"] = _ok(questionnaire, f"{short}done/")

    clinic_week(chairs=3, nurses=2, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=5)
    course = ready_course("natalizumab", start_after=day, patient=patient)
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=Chair.objects.first(),
        start=datetime.combine(day, time(9), tzinfo=NY),
        notify=False,
    )
    pulse = ready_course("alemtuzumab", start_after=day + timedelta(days=3), patient=patient)
    (plan, *_) = planning.course_plans(doses=planning.block_doses(pulse.doses.get(sequence=1)))
    block_day = course_book(choices=plan, notify=False)[1]
    _row, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=30)
    manage = Client()
    pages["manage date of birth"] = _ok(manage, f"/my/{token}/")
    manage.post(f"/my/{token}/", {"date_of_birth": DOB})
    pages["appointments"] = _ok(manage, f"/my/{token}/")
    pages["reschedule"] = _ok(manage, f"/my/{token}/{session.pk}/reschedule/")
    pages["reschedule with an error"] = _ok(
        manage, f"/my/{token}/{session.pk}/reschedule/", pick="nonsense"
    )
    pages["reschedule a series day"] = _ok(manage, f"/my/{token}/{block_day.pk}/reschedule/")
    pages["cancel"] = _ok(manage, f"/my/{token}/{session.pk}/cancel/")
    manage.post(f"/my/{token}/{session.pk}/cancel/", {"reason": "Away"})
    pages["appointments with a cancelled one"] = _ok(manage, f"/my/{token}/")

    pages.update(_waitlist_pages(day))

    _row, expired = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=0)
    pages["link expired"] = _ok(Client(), f"/my/{expired}/", status=410)
    pages["link unknown"] = _ok(Client(), "/my/not-a-real-token/", status=404)
    return pages


def _waitlist_pages(day) -> dict[str, str]:
    """Join the waitlist, see an offer, find it taken, then ended (another chair and hour)."""
    from scheduling.backfill import backfill_run
    from scheduling.booking import session_cancel
    from scheduling.models import WaitlistOffer
    from scheduling.waitlist import offer_accept, waitlist_join

    chair = Chair.objects.order_by("position").last()

    def book(ahead: int, patient) -> Session:
        course = ready_course("natalizumab", start_after=day - timedelta(days=3), patient=patient)
        start = datetime.combine(day + timedelta(days=ahead), time(13), tzinfo=NY)
        return session_book(
            dose=course.doses.get(sequence=1), chair=chair, start=start, notify=False
        )

    freed = book(-1, PatientFactory())
    mine = book(6, PatientFactory())
    other = book(7, PatientFactory())
    Authorisation.objects.create(
        course=mine.course,
        payer="Example Health Plan",
        number="PA-HTML",
        valid_from=day,
        valid_to=day + timedelta(days=20),
        status="approved",
    )
    _row, token = link_create(
        patient=mine.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    client = Client()
    client.post(f"/my/{token}/", {"date_of_birth": DOB})
    pages = {
        "waitlist join": _ok(client, f"/my/{token}/{mine.pk}/waitlist/"),
        "waitlist join with an error": _ok(
            client, f"/my/{token}/{mine.pk}/waitlist/", part_of_day="night"
        ),
    }
    client.post(f"/my/{token}/{mine.pk}/waitlist/", {"part_of_day": "any", "notice_hours": "4"})
    waitlist_join(dose=other.dose)
    session_cancel(session=freed, reason="Away")
    backfill_run(freed.chair_id, freed.start.isoformat(), freed.end.isoformat())
    pages["appointments with an earlier time offered"] = _ok(client, f"/my/{token}/")
    mine_offer = WaitlistOffer.objects.get(entry__dose=mine.dose)
    offer_accept(offer=WaitlistOffer.objects.get(entry__dose=other.dose))
    pages["offer taken"] = _ok(client, f"/my/{token}/offers/{mine_offer.pk}/accept/", 409, x="")
    WaitlistOffer.objects.filter(pk=mine_offer.pk).update(status="expired")
    pages["offer ended"] = _ok(client, f"/my/{token}/offers/{mine_offer.pk}/accept/", 410, x="")
    return pages


def _error_pages(rf) -> dict[str, str]:
    request = rf.get("/")
    request.session = {}
    pages = {
        name: view(request).content.decode()
        for name, view in {
            "error 400": clinic_views.bad_request_view,
            "error 403": clinic_views.permission_denied_view,
            "error 500": clinic_views.server_error_view,
        }.items()
    }
    for template in ("errors/410.html", "errors/429.html", "403_csrf.html"):
        pages[template] = render_to_string(template, {}, request)
    for template in ("clinic/link_locked.html", "clinic/link_used.html"):
        pages[template] = render_to_string(template, {}, request)
    return pages


def _staff_pages(coordinator, scheduler, nurse, clinician, superuser) -> dict[str, str]:
    pages = {}
    # A day with sessions on the board: the series booked for the patient pages.
    day = Session.objects.filter(status="booked").earliest("start").start.astimezone(NY).date()
    for role in (coordinator, scheduler, nurse, clinician, superuser):
        client = Client()
        client.force_login(role)
        pages[f"dashboard ({role.username})"] = _ok(client, "/admin/")
    client = Client()
    client.force_login(nurse)
    pages["day board"] = _ok(client, f"/admin/scheduling/session/board/?day={day:%Y-%m-%d}")
    assert "board-block" in pages["day board"]
    client.force_login(superuser)
    session = Session.objects.filter(status="booked").earliest("start")
    lemtrada = ready_course("alemtuzumab", patient=session.course.patient)
    monitoring_plan(course=lemtrada, last=day - timedelta(days=200))
    authorisation = Authorisation.objects.get(number="PA-HTML")
    entry = WaitlistEntry.objects.order_by("pk").first()
    for name, url in {
        "monitoring tasks": "/admin/scheduling/monitoringtask/?state=open",
        "lemtrada course page": f"/admin/scheduling/treatmentcourse/{lemtrada.pk}/change/",
        "session list": "/admin/scheduling/session/",
        "session page": f"/admin/scheduling/session/{session.pk}/change/",
        "course page": f"/admin/scheduling/treatmentcourse/{session.course_id}/change/",
        "referral list": "/admin/intake/referral/",
        "patient list": "/admin/clinic/patient/",
        "patient page": f"/admin/clinic/patient/{session.course.patient_id}/change/",
        "therapy page": f"/admin/clinic/therapy/{session.course.therapy_id}/change/",
        "clinic settings": "/admin/clinic/clinicsettings/1/change/",
        "flag list": "/admin/intake/flag/",
        "outbox": "/admin/clinic/notice/",
        "task schedules": "/admin/django_q/schedule/",
        "reports": "/admin/reports/",
        "utilisation report": "/admin/reports/utilisation/",
        "attendance report": "/admin/reports/attendance/",
        "urgent flags report": "/admin/reports/urgent-flags/",
        "referrals report": "/admin/reports/referrals/",
        "report with a wrong range": "/admin/reports/referrals/?start=2026-11-03&end=2026-11-02",
        "authorisation list": "/admin/scheduling/authorisation/",
        "authorisation add": "/admin/scheduling/authorisation/add/",
        "authorisation page": f"/admin/scheduling/authorisation/{authorisation.pk}/change/",
        "authorisations to renew": "/admin/scheduling/authorisation/attention/",
        "authorisation override": f"/admin/scheduling/authorisation/override/{session.dose_id}/",
        "waitlist": "/admin/scheduling/waitlistentry/",
        "waitlist add": "/admin/scheduling/waitlistentry/add/",
        "waitlist entry": f"/admin/scheduling/waitlistentry/{entry.pk}/change/",
        "waitlist offer by hand": f"/admin/scheduling/waitlistentry/{entry.pk}/offer/",
        "waitlist offers": "/admin/scheduling/waitlistoffer/",
        "API clients": "/admin/interop/apiclient/",
        "API client page": f"/admin/interop/apiclient/{_api_client().pk}/change/",
        "API tokens": "/admin/interop/apitoken/",
        "API token issue": "/admin/interop/apitoken/add/",
    }.items():
        pages[name] = _ok(client, url)
    issued = client.post(
        "/admin/interop/apitoken/add/",
        {"client": str(_api_client().pk), "label": "test", "scopes": "Patient", "days": "30"},
    )
    pages["API token issued"] = issued.content.decode()
    assert "shown only once" in pages["API token issued"]
    # The visit page with its record open (the nurse's tablet) and the chair-time drift page.
    from visits import records as visit_records

    record = visit_records.visit_open(session=session, by=nurse)
    visit_records.visit_check_in(record=record)
    client.force_login(nurse)
    pages["visit page"] = _ok(client, f"/admin/visits/visitrecord/session/{session.pk}/")
    client.force_login(coordinator)
    pages["chair times"] = _ok(client, "/admin/visits/visitrecord/chair-times/")
    return pages


def _api_client():
    from interop.models import ApiClient

    client, _ = ApiClient.objects.get_or_create(
        name="Example EHR", defaults={"notify_email": "ehr@example.test"}
    )
    return client


def _check(pages: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """Run the checker once over every page; return each page's errors."""
    names = {}
    for index, (name, html) in enumerate({**pages, "control": CONTROL}.items()):
        path = folder / f"page-{index:03d}.html"
        path.write_text(html, encoding="utf-8")
        names[str(path.resolve())] = name
    # The command is this machine's java and the jar's path; the arguments are our files.
    run = subprocess.run(  # noqa: S603
        [*_checker(), *sorted(str(folder / p) for p in os.listdir(folder))],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    errors: dict[str, list[str]] = {name: [] for name in names.values()}
    for message in json.loads(run.stderr or run.stdout)["messages"]:
        if message["type"] in ("error", "non-document-error"):
            where = str(Path(urlparse(message.get("url", "")).path).resolve())
            name = names.get(where, message.get("url", "?"))
            errors.setdefault(name, []).append(
                f"line {message.get('lastLine')}: {message['message']}"
            )
    return errors


def test_the_w3c_checker_finds_no_error_on_staff_and_patient_pages(
    tmp_path, rf, coordinator, scheduler, nurse, clinician, superuser
):
    _checker()  # skip before the set-up when there is no checker
    pages = _patient_pages()
    pages.update(_error_pages(rf))
    pages.update(_staff_pages(coordinator, scheduler, nurse, clinician, superuser))
    errors = _check(pages, tmp_path)
    assert errors.pop("control"), "the checker found nothing wrong with a page that is invalid"
    assert {name: found for name, found in errors.items() if found} == {}
    assert len(errors) == len(pages)
