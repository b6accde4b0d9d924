"""The patient's questionnaire pages behind a private link: /q/<token>/...

Every view runs behind `@private_link` (unknown 404, expired 410, already submitted 410,
locked 429, date of birth first) and reads the pre-visit check its verified link belongs to
with `_request_of`. URLs carry only the token and a step number.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.links import LinkRefused, private_link
from clinic.models import PrivateLink
from intake import instruments as defs
from intake.crisis import INSTRUMENT as CRISIS_INSTRUMENT
from intake.crisis import crisis_answer, crisis_text
from intake.instruments.translations import localized
from intake.models import QuestionnaireRequest
from intake.questionnaire_forms import QuestionnairePageForm
from intake.questionnaires import (
    QuestionnaireError,
    QuestionnaireIncomplete,
    Step,
    draft_answers,
    questionnaire_save_page,
    questionnaire_submit,
    request_steps,
)

_PURPOSE = PrivateLink.Purpose.QUESTIONNAIRE


def _request_of(request: HttpRequest, link: PrivateLink) -> QuestionnaireRequest:
    """Return the verified link's pre-visit check (the one access helper here)."""
    qreq = (
        QuestionnaireRequest.objects.select_related("patient")
        .filter(pk=link.object_id, patient=link.patient)
        .first()
    )
    if qreq is None:
        raise LinkRefused(render(request, "clinic/link_unknown.html", {}, status=404))
    return qreq


def _first_incomplete(qreq: QuestionnaireRequest, steps: list[Step]) -> int:
    for step in steps:
        answers = draft_answers(qreq, step.instrument)
        if defs.page_missing(step.definition, step.page_index, answers):
            return step.number
    return len(steps) + 1


def _crisis(qreq: QuestionnaireRequest, steps: list[Step], before: int) -> str:
    """Return the crisis text if PHQ-9 item 9 was answered above 0 on an earlier page."""
    for step in steps[: before - 1]:
        if step.instrument.code == CRISIS_INSTRUMENT and crisis_answer(
            draft_answers(qreq, step.instrument)
        ):
            return crisis_text()
    return ""


def _context(qreq: QuestionnaireRequest, steps: list[Step], token: str, **extra) -> dict:
    return {"qreq": qreq, "token": token, "total_steps": len(steps) + 1, **extra}


@never_cache
@require_http_methods(["GET", "POST"])
@private_link(purpose=_PURPOSE)
def questionnaire_start_view(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
    qreq = _request_of(request, link)
    steps = request_steps(qreq)
    resume = _first_incomplete(qreq, steps) if qreq.draft else 1
    return render(
        request,
        "intake/questionnaire/start.html",
        _context(
            qreq,
            steps,
            token,
            instruments=[
                localized(i.definition, get_language()) for i in qreq.ordered_instruments()
            ],
            resume=resume,
            started=bool(qreq.draft),
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@private_link(purpose=_PURPOSE)
def questionnaire_step_view(
    request: HttpRequest, link: PrivateLink, token: str, step: int
) -> HttpResponse:
    qreq = _request_of(request, link)
    steps = request_steps(qreq)
    if step < 1 or step > len(steps):
        return redirect("intake:questionnaire_start", token=token)
    current = steps[step - 1]
    saved = draft_answers(qreq, current.instrument)
    form_kwargs = {"definition": current.definition, "page": current.page}
    if request.method == "POST":
        form = QuestionnairePageForm(request.POST, **form_kwargs)
        action = request.POST.get("action", "next")
        if form.is_valid():
            try:
                questionnaire_save_page(qreq=qreq, step=current, answers=form.answers())
            except QuestionnaireError:
                return render(request, "clinic/link_used.html", {}, status=410)
            answers = draft_answers(qreq, current.instrument)
            if action == "save":
                return redirect("intake:questionnaire_saved", token=token)
            if action == "back":
                if step == 1:
                    return redirect("intake:questionnaire_start", token=token)
                return redirect("intake:questionnaire_step", token=token, step=step - 1)
            missing = defs.page_missing(current.definition, current.page_index, answers)
            if not missing:
                if step == len(steps):
                    return redirect("intake:questionnaire_review", token=token)
                return redirect("intake:questionnaire_step", token=token, step=step + 1)
            form.mark_missing(missing)
    else:
        form = QuestionnairePageForm(
            initial=QuestionnairePageForm.initial_from(saved), **form_kwargs
        )
        if request.GET.get("check") == "1":
            # Sent back from submit: show what is missing straight away.
            form = QuestionnairePageForm(
                data=QuestionnairePageForm.initial_from(saved), **form_kwargs
            )
            if form.is_valid():
                form.mark_missing(defs.page_missing(current.definition, current.page_index, saved))
    return render(
        request,
        "intake/questionnaire/step.html",
        _context(
            qreq,
            steps,
            token,
            form=form,
            step=current,
            step_number=step,
            instrument=current.instrument,
            page=current.page,
            attribution=current.definition.get("attribution", ""),
            language_note=current.definition.get("language_note", ""),
            crisis=_crisis(qreq, steps, step),
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@private_link(purpose=_PURPOSE)
def questionnaire_review_view(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
    qreq = _request_of(request, link)
    steps = request_steps(qreq)
    if request.method == "POST":
        try:
            questionnaire_submit(qreq=qreq)
        except QuestionnaireIncomplete as exc:
            return redirect(f"{_step_url(token, exc.step)}?check=1")
        except QuestionnaireError:
            return render(request, "clinic/link_used.html", {}, status=410)
        return redirect("intake:questionnaire_done", token=token)
    sections = []
    for step in steps:
        answers = draft_answers(qreq, step.instrument)
        rows = [
            (item["text"], defs.answer_label(step.definition, item, answers.get(item["id"])))
            for item in step.page["items"]
            if defs.item_is_shown(item, answers)
        ]
        sections.append(
            {"step": step, "title": step.page.get("title") or step.instrument.title, "rows": rows}
        )
    return render(
        request,
        "intake/questionnaire/review.html",
        _context(
            qreq,
            steps,
            token,
            sections=sections,
            step_number=len(steps) + 1,
            crisis=_crisis(qreq, steps, len(steps) + 1),
        ),
    )


def _step_url(token: str, step: int) -> str:
    from django.urls import reverse

    return reverse("intake:questionnaire_step", kwargs={"token": token, "step": step})


@never_cache
@private_link(purpose=_PURPOSE)
def questionnaire_saved_view(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
    qreq = _request_of(request, link)
    return render(
        request,
        "intake/questionnaire/saved.html",
        {"qreq": qreq, "token": token, "expires_at": qreq.link.expires_at if qreq.link else None},
    )


@never_cache
@private_link(purpose=_PURPOSE, allow_used=True)
def questionnaire_done_view(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
    qreq = _request_of(request, link)
    if qreq.status != QuestionnaireRequest.Status.SUBMITTED:
        return redirect("intake:questionnaire_start", token=token)
    shown = any(
        crisis_answer(answers)
        for answers in qreq.responses.filter(instrument__code=CRISIS_INSTRUMENT).values_list(
            "answers", flat=True
        )
    )
    return render(
        request,
        "intake/questionnaire/done.html",
        {"qreq": qreq, "crisis": crisis_text() if shown else ""},
    )
