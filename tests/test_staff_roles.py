"""Roles that match the work: a guide per role, booking after acceptance, refusals that explain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from clinic import roles
from intake.referrals import referral_transition
from scheduling.models import TreatmentCourse
from tests.factories import ReferralFactory, UserFactory, clinic_week

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parent.parent / "README.md"


def _to_benefits_check(by) -> object:
    referral = ReferralFactory()
    for target in ("in_review", "benefits_check", "prior_auth"):
        referral_transition(referral=referral, to_status=target, by=by, note="Test move")
    return referral


def _accept(client, referral) -> list[str]:
    url = f"/admin/intake/referral/{referral.pk}/transition/accepted/"
    response = client.post(url, {"note": "Complete"}, follow=True)
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_coordinator_who_accepts_a_referral_is_offered_to_book_its_course(client, coordinator):
    clinic_week(weekdays=range(7))
    referral = _to_benefits_check(coordinator)
    client.force_login(coordinator)
    (message,) = _accept(client, referral)
    course = TreatmentCourse.objects.get(referral=referral)
    assert message.startswith(f"{referral.reference} moved to Accepted. ")
    assert f'href="/admin/scheduling/treatmentcourse/{course.pk}/book/"' in message
    assert client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/book/").status_code == 200


def test_someone_who_accepts_but_cannot_book_is_told_who_books_and_where(client, coordinator):
    referral = _to_benefits_check(coordinator)
    accepter = UserFactory(username="accepter", is_staff=True)
    accepter.user_permissions.add(
        *roles_permissions("intake.view_referral", "intake.change_referral_status")
    )
    client.force_login(accepter)
    (message,) = _accept(client, referral)
    course = TreatmentCourse.objects.get(referral=referral)
    assert f'href="/admin/scheduling/treatmentcourse/{course.pk}/change/"' in message
    assert "intake coordinator or scheduler to book" in message


def roles_permissions(*perms: str) -> list:
    from django.contrib.auth.models import Permission

    found = []
    for perm in perms:
        app_label, codename = perm.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


@pytest.mark.parametrize(
    ("role", "url", "allowed"),
    [
        ("scheduler", "/admin/intake/referral/", "Intake coordinator, Nurse, On-call clinician"),
        ("coordinator", "/admin/intake/flag/", "Nurse, On-call clinician"),
        ("nurse", "/admin/scheduling/treatmentcourse/1/book/", "Intake coordinator, Scheduler"),
        ("coordinator", "/admin/clinic/accesslog/", "On-call clinician"),
    ],
)
def test_a_refused_staff_page_says_which_roles_may_open_it(client, request, role, url, allowed):
    clinic_week(weekdays=range(7))
    if "treatmentcourse/1/" in url:
        referral = _to_benefits_check(request.getfixturevalue("coordinator"))
        referral_transition(
            referral=referral,
            to_status="accepted",
            by=referral.transitions.first().by,
            note="Test move",
        )
        url = url.replace("/1/", f"/{referral.course.pk}/")
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 403
    assert f"This page is for: <strong>{allowed}</strong>" in html
    assert "Chairside staff" in html  # the staff site's frame, not the patients' page
    assert "please call the clinic" not in html


def test_a_page_no_role_may_open_says_only_an_administrator_can(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/admin/auth/user/")
    assert response.status_code == 403
    assert "Only an administrator can open this page." in response.content.decode()


@pytest.mark.parametrize(
    "role", ["coordinator", "nurse", "clinician", "scheduler", "manager", "oncall_lead"]
)
def test_each_role_dashboard_says_what_the_role_does_and_links_where(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    html = client.get("/admin/").content.decode()
    (name,) = [g.name for g in user.groups.all()]
    assert ">Your work</h2>" in html and f"<dt>{name}</dt>" in html
    for task, url_name in roles.ROLE_GUIDE[name]:
        assert escape(task) in html
        assert f'href="{reverse(url_name)}"' in html


def test_every_task_in_the_role_guide_is_open_to_its_role(client, request):
    fixtures = {
        roles.INTAKE_COORDINATOR: "coordinator",
        roles.NURSE: "nurse",
        roles.ON_CALL_CLINICIAN: "clinician",
        roles.SCHEDULER: "scheduler",
        roles.CLINIC_MANAGER: "manager",
        roles.ON_CALL_LEAD: "oncall_lead",
    }
    for name, tasks in roles.ROLE_GUIDE.items():
        client.force_login(request.getfixturevalue(fixtures[name]))
        for task, url_name in tasks:
            assert client.get(reverse(url_name)).status_code == 200, (name, task)


def test_the_readme_role_guide_lists_the_same_work_as_the_dashboard():
    text = README.read_text(encoding="utf-8")
    guide = text.split("## Who does what", 1)[1].split("\n## ", 1)[0]
    flat = re.sub(r"\s+", " ", guide)
    for name, tasks in roles.ROLE_GUIDE.items():
        assert f"**{name}**" in flat, name
        for task, _url_name in tasks:
            assert task in flat, task
