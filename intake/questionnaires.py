"""Writes on questionnaires: send a pre-visit check, save a draft page, submit.

Flags (`intake.flags`) are saved with their response in one transaction, and so are the
notices about them (the outbox, clinic.notices): the task queue sends them after the commit
and retries a failed send, which never loses a flag. Nothing here puts health data in a log
line, an email subject or an email body: emails carry a link only (intake.notices).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation

from clinic.links import link_create, link_url
from clinic.models import Patient, PrivateLink
from clinic.notices import notice_enqueue
from intake import instruments as defs
from intake import notices
from intake.flags import flag_raise, flags_notify
from intake.instruments.translations import localized
from intake.models import (
    FlagLevel,
    Instrument,
    QuestionnaireRequest,
    QuestionnaireResponse,
)
from intake.scoring import main_score, score_response
from scheduling.patient_facts import patient_facts

logger = logging.getLogger(__name__)

LINK_DAYS = 14


class QuestionnaireError(Exception):
    """A questionnaire action that can't be done; the message is safe to show."""


class QuestionnaireIncomplete(QuestionnaireError):
    """Required answers are missing; `step` is the first page (1-based) that needs them."""

    def __init__(self, step: int, missing: list[str]):
        super().__init__("Some questions still need an answer.")
        self.step = step
        self.missing = missing


@dataclass(frozen=True)
class Step:
    """One page of a pre-visit check: which instrument, which of its pages."""

    number: int
    instrument: Instrument
    page_index: int

    @property
    def definition(self) -> dict[str, Any]:
        # Wording in the active (patient's) language; structure and scoring are unchanged.
        return localized(self.instrument.definition, translation.get_language())

    @property
    def page(self) -> dict[str, Any]:
        return self.definition["pages"][self.page_index]


def request_steps(qreq: QuestionnaireRequest) -> list[Step]:
    """Return every page of the check in order, numbered from 1."""
    steps: list[Step] = []
    for instrument in qreq.ordered_instruments():
        for index in range(len(instrument.definition["pages"])):
            steps.append(Step(len(steps) + 1, instrument, index))
    return steps


def draft_answers(qreq: QuestionnaireRequest, instrument: Instrument) -> dict[str, Any]:
    return dict((qreq.draft or {}).get(str(instrument.pk), {}))


# --- Send -----------------------------------------------------------------------------------


def questionnaire_send(
    *,
    patient: Patient,
    instruments: Sequence[Instrument | str],
    sent_by: AbstractBaseUser | None,
    due_at: datetime | None = None,
    email: bool = True,
) -> tuple[QuestionnaireRequest, str | None]:
    """Create a pre-visit check with a private link; email the link to the patient.

    `instruments` are Instrument rows or codes (codes take the current version). Emailed
    (`email` and the patient has an address), the link is made when the email is sent
    (intake.notices), so its token is never stored, and the URL returned is None. Otherwise
    the link is made now and its URL returned (the raw token is in the URL only), so another
    app can show or send it, e.g. with a session reminder.
    """
    chosen = _resolve_instruments(instruments)
    if not chosen:
        raise QuestionnaireError("Choose at least one questionnaire to send.")
    url = None
    with transaction.atomic():
        qreq = QuestionnaireRequest.objects.create(patient=patient, sent_by=sent_by, due_at=due_at)
        qreq.instruments.set(chosen)
        if email and patient.email:
            notice_enqueue(
                kind=notices.QUESTIONNAIRE_INVITE,
                to=[patient.email],
                target=qreq,
                params={"link_days": LINK_DAYS},
            )
        else:
            link, token = link_create(
                patient=patient,
                purpose=PrivateLink.Purpose.QUESTIONNAIRE,
                days=LINK_DAYS,
                target=qreq,
            )
            qreq.link = link
            qreq.save(update_fields=["link"])
            url = link_url(PrivateLink.Purpose.QUESTIONNAIRE, token)
    logger.info("questionnaire request %s sent", qreq.pk)
    return qreq, url


def _resolve_instruments(instruments: Sequence[Instrument | str]) -> list[Instrument]:
    chosen = []
    for item in instruments:
        if isinstance(item, Instrument):
            chosen.append(item)
        else:
            found = Instrument.objects.filter(code=item, is_current=True).first()
            if found is None:
                raise QuestionnaireError(f"There is no current questionnaire called {item!r}.")
            chosen.append(found)
    return chosen


# --- Draft and submit -------------------------------------------------------------------------


def questionnaire_save_page(
    *, qreq: QuestionnaireRequest, step: Step, answers: dict[str, Any]
) -> QuestionnaireRequest:
    """Keep one page's answers in the server-side draft (required answers not enforced)."""
    page_ids = {item["id"] for item in step.page["items"]}
    with transaction.atomic():
        locked = QuestionnaireRequest.objects.select_for_update().get(pk=qreq.pk)
        if locked.status == QuestionnaireRequest.Status.SUBMITTED:
            raise QuestionnaireError("These answers have already been sent.")
        draft = dict(locked.draft or {})
        key = str(step.instrument.pk)
        current = {k: v for k, v in draft.get(key, {}).items() if k not in page_ids}
        current.update({k: v for k, v in answers.items() if k in page_ids and v not in (None, "")})
        draft[key] = defs.answers_clean(step.definition, current)
        locked.draft = draft
        locked.draft_saved_at = timezone.now()
        locked.status = QuestionnaireRequest.Status.STARTED
        locked.save(update_fields=["draft", "draft_saved_at", "status"])
    qreq.draft, qreq.status = locked.draft, locked.status
    return locked


def questionnaire_check(qreq: QuestionnaireRequest) -> None:
    """Re-validate every page; raise QuestionnaireIncomplete at the first with gaps."""
    for step in request_steps(qreq):
        missing = defs.page_missing(
            step.definition, step.page_index, draft_answers(qreq, step.instrument)
        )
        if missing:
            raise QuestionnaireIncomplete(step.number, missing)


def questionnaire_submit(
    *, qreq: QuestionnaireRequest, now: datetime | None = None
) -> list[QuestionnaireResponse]:
    """Score every instrument, save responses and flags in one transaction, close the link.

    Urgent flags are emailed (and paged) to whoever is on call at submit time: the notices
    are written in this transaction and sent by the task queue after the commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = QuestionnaireRequest.objects.select_for_update().get(pk=qreq.pk)
        if locked.status == QuestionnaireRequest.Status.SUBMITTED:
            raise QuestionnaireError("These answers have already been sent.")
        questionnaire_check(locked)
        context = patient_context(locked.patient)
        responses = []
        urgent: list[int] = []
        for instrument in locked.ordered_instruments():
            definition = instrument.definition
            answers = defs.answers_clean(definition, draft_answers(locked, instrument))
            result = score_response(
                definition,
                answers,
                previous_scores=_previous_scores(locked.patient, instrument, before=now),
                context=context,
            )
            main = main_score(definition)
            response = QuestionnaireResponse.objects.create(
                request=locked,
                patient=locked.patient,
                instrument=instrument,
                answers=answers,
                scores=result.scores,
                bands={k: v for k, v in result.bands.items() if v},
                main_score=result.scores.get(main) if main else None,
                main_band=(result.bands.get(main) or "") if main else "",
                context=context,
                submitted_at=now,
            )
            responses.append(response)
            for hit in result.flags:
                flag = flag_raise(
                    response=response, rule=hit.rule, label=hit.label, level=hit.level, at=now
                )
                if flag.level == FlagLevel.URGENT:
                    urgent.append(flag.pk)
        locked.status = QuestionnaireRequest.Status.SUBMITTED
        locked.submitted_at = now
        locked.draft = {}
        locked.save(update_fields=["status", "submitted_at", "draft"])
        if locked.link_id:
            PrivateLink.objects.filter(pk=locked.link_id, used_at__isnull=True).update(used_at=now)
        if urgent:
            flags_notify(flag_ids=urgent, at=now)
    logger.info("questionnaire request %s submitted", locked.pk)
    return responses


def patient_context(patient: Patient) -> dict[str, Any]:
    """Return the facts flag rules may use: the therapies of the patient's active courses."""
    return patient_facts(patient)


def _previous_scores(
    patient: Patient, instrument: Instrument, *, before: datetime
) -> dict[str, Any] | None:
    previous = (
        QuestionnaireResponse.objects.filter(
            patient=patient, instrument__code=instrument.code, submitted_at__lte=before
        )
        .order_by("-submitted_at", "-pk")
        .values_list("scores", flat=True)
        .first()
    )
    return previous
