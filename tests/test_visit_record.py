"""The chairside record through its one service: a whole visit, refusals, amendments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from intake.models import Flag, FlagLevel
from scheduling.models import SessionStatus
from tests.factories import OnCallShiftFactory, UserFactory
from tests.visit_helpers import at, booked_session, full_visit, visit_day
from visits import records
from visits.models import Reaction, VisitAmendment, VitalsReading

pytestmark = pytest.mark.django_db


def _seated(nurse):
    session = booked_session()
    record = records.visit_open(session=session, by=nurse)
    records.visit_check_in(record=record, at=at(9))
    records.visit_checks_record(
        record=record, done={c.pk: True for c in session.checks.all()}, by=nurse
    )
    return records.administration_start(
        record=record,
        product="Ocrelizumab",
        dose="300 mg",
        lot_number="L1",
        lot_expiry=visit_day(),
        started_at=at(9, 30),
        rate_ml_per_hour=Decimal("30"),
        by=nurse,
    )


def test_a_full_visit_moves_the_session_and_stores_the_actual_chair_time(nurse):
    session = booked_session()
    record = full_visit(session, nurse)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert session.checked_in_at == at(9)
    assert session.in_chair_at == at(9, 40)
    assert session.completed_at == at(13, 20)
    # 09:00 check-in to 13:20 discharge; 09:40 infusion start to 13:10 end of observation.
    assert record.chair_minutes == 260
    assert record.infusion_minutes == 210
    assert record.discharged_by == nurse
    assert record.dose_kind == "first"
    assert record.template_minutes == 240
    assert record.premeds.first().medicine == "Methylprednisolone"
    assert all(p.given_at == at(9, 10) for p in record.premeds.all())
    assert [r.rate_ml_per_hour for r in record.rates.all()] == [Decimal("30"), Decimal("60")]


def test_the_infusion_waits_for_check_in_and_the_per_visit_checks(nurse):
    session = booked_session("natalizumab")
    record = records.visit_open(session=session, by=nurse)
    start = {
        "record": record,
        "product": "Natalizumab",
        "dose": "300 mg",
        "lot_number": "N1",
        "lot_expiry": visit_day(),
        "started_at": at(9, 30),
        "rate_ml_per_hour": None,
        "by": nurse,
    }
    with pytest.raises(records.VisitError, match="Check the patient in"):
        records.administration_start(**start)
    records.visit_check_in(record=record, at=at(9))
    assert session.checks.exists()
    with pytest.raises(records.VisitError, match="per-visit check"):
        records.administration_start(**start)


def test_an_expired_lot_is_refused(nurse):
    session = booked_session()
    record = records.visit_open(session=session, by=nurse)
    records.visit_check_in(record=record, at=at(9))
    records.visit_checks_record(
        record=record, done={c.pk: True for c in session.checks.all()}, by=nurse
    )
    with pytest.raises(records.VisitError, match="expired"):
        records.administration_start(
            record=record,
            product="Ocrelizumab",
            dose="300 mg",
            lot_number="OLD-1",
            lot_expiry=visit_day() - timedelta(days=1),
            started_at=at(9, 30),
            rate_ml_per_hour=None,
            by=nurse,
        )
    record.refresh_from_db()
    session.refresh_from_db()
    assert record.infusion_started_at is None and record.lot_number == ""
    assert session.status == SessionStatus.CHECKED_IN


def test_a_lot_expiring_on_the_visit_day_may_be_given(nurse):
    record = _seated(nurse)
    assert record.lot_expiry == visit_day()
    assert record.session.status == SessionStatus.IN_CHAIR


def test_vitals_past_the_hold_thresholds_are_saved_with_a_warning(nurse):
    record = records.visit_open(session=booked_session(), by=nurse)
    reading, warnings = records.vitals_record(
        record=record,
        phase="before",
        taken_at=at(9),
        values={"systolic": 190, "pulse": 125, "temperature": Decimal("38.2"), "spo2": 91},
        by=nurse,
    )
    assert len(warnings) == 4
    assert "Temperature 38.2 °C" in warnings[0]
    assert VitalsReading.objects.get(pk=reading.pk).warnings.count("\n") == 3


def test_implausible_vitals_are_refused_as_typing_errors(nurse):
    record = records.visit_open(session=booked_session(), by=nurse)
    with pytest.raises(records.VisitError, match="not a plausible reading"):
        records.vitals_record(
            record=record, phase="before", taken_at=at(9), values={"pulse": 720}, by=nurse
        )
    assert not VitalsReading.objects.exists()


def test_a_grade_3_reaction_raises_an_urgent_flag_that_reaches_the_on_call(
    nurse, django_capture_on_commit_callbacks
):
    on_call = OnCallShiftFactory(
        clinician=UserFactory(username="doc", email="doc@staff.chairside.test"),
        starts_at=at(7),
        ends_at=at(19),
    )
    record = _seated(nurse)
    with django_capture_on_commit_callbacks(execute=True):
        reaction = records.reaction_record(
            record=record,
            at=at(10),
            symptoms="Wheeze, hypotension 82/50",
            grade=3,
            action=Reaction.Action.STOPPED,
            medicines="Adrenaline IM, IV fluids",
            outcome="Transferred to emergency department",
            by=nurse,
        )
    flag = Flag.objects.get()
    assert reaction.flag == flag
    assert flag.level == FlagLevel.URGENT and flag.is_open
    assert flag.patient == record.session.course.patient
    assert flag.source == record and flag.response is None
    (email,) = mail.outbox
    assert email.to == [on_call.clinician.email]
    assert f"/admin/intake/flag/{flag.pk}/change/" in email.body
    assert "A record kept at the chair has raised an urgent flag" in email.body
    assert "Wheeze" not in email.body + email.subject  # no health data in the email


def test_a_mild_reaction_raises_no_flag(nurse, django_capture_on_commit_callbacks):
    record = _seated(nurse)
    with django_capture_on_commit_callbacks(execute=True):
        records.reaction_record(
            record=record,
            at=at(10),
            symptoms="Throat itch",
            grade=1,
            action=Reaction.Action.SLOWED,
            medicines="",
            outcome="Resolved",
            by=nurse,
        )
    assert not Flag.objects.exists()
    assert mail.outbox == []


def test_any_reaction_puts_an_infusion_reaction_on_the_course_record(nurse):
    record = _seated(nurse)
    course = record.session.course
    assert course.reaction_on_record is False
    records.reaction_record(
        record=record,
        at=at(10),
        symptoms="Flushing",
        grade=1,
        action=Reaction.Action.SLOWED,
        medicines="",
        outcome="Resolved",
        by=nurse,
    )
    course.refresh_from_db()
    # DOMAIN.md: natalizumab keeps its observation, ocrelizumab loses its shorter infusion.
    assert course.reaction_on_record is True
    assert course.history.first().history_change_reason == "infusion reaction recorded at a visit"


def test_the_on_call_flag_page_links_the_visit_record(client, nurse, clinician):
    record = _seated(nurse)
    reaction = records.reaction_record(
        record=record,
        at=at(10),
        symptoms="Stridor",
        grade=4,
        action=Reaction.Action.STOPPED,
        medicines="Adrenaline",
        outcome="Ambulance",
        by=nurse,
    )
    client.force_login(clinician)
    html = client.get(f"/admin/intake/flag/{reaction.flag_id}/change/").content.decode()
    assert f"/admin/visits/visitrecord/{record.pk}/change/" in html


def test_amendments_after_discharge_need_a_reason_and_show_in_history(nurse):
    record = full_visit(booked_session(), nurse)
    with pytest.raises(records.VisitError, match="reason"):
        records.administration_amend(record=record, changes={"lot_number": "LOT-2"}, by=nurse)
    record.refresh_from_db()
    assert record.lot_number == "LOT-DEMO-1"
    records.administration_amend(
        record=record,
        changes={"lot_number": "LOT-2"},
        by=nurse,
        reason="Lot misread from the bag label",
    )
    record.refresh_from_db()
    assert record.lot_number == "LOT-2"
    latest = record.history.first()
    assert "Lot misread from the bag label" in latest.history_change_reason
    assert latest.history_user == nurse or latest.history_user is None
    (amendment,) = VisitAmendment.objects.filter(record=record)
    assert amendment.reason == "Lot misread from the bag label"
    assert amendment.by == nurse


def test_while_the_visit_is_open_changes_need_no_reason(nurse):
    record = _seated(nurse)
    records.administration_amend(record=record, changes={"lot_number": "L2"}, by=nurse)
    record.refresh_from_db()
    assert record.lot_number == "L2"
    assert not VisitAmendment.objects.exists()


def test_discharge_needs_the_end_of_observation(nurse):
    record = _seated(nurse)
    with pytest.raises(records.VisitError, match="observation"):
        records.visit_discharge(record=record, at=at(13), by=nurse)


def test_a_reaction_flag_exports_to_fhir_without_a_questionnaire_reference(nurse):
    from interop.mappers.flags import flag_resource

    record = _seated(nurse)
    reaction = records.reaction_record(
        record=record,
        at=at(10),
        symptoms="Stridor",
        grade=3,
        action=Reaction.Action.STOPPED,
        medicines="",
        outcome="",
        by=nurse,
    )
    resource = flag_resource(reaction.flag)
    assert "QuestionnaireResponse/None" not in str(resource)
    assert resource["subject"] == {"reference": f"Patient/{record.session.course.patient_id}"}


def test_subcutaneous_ocrelizumab_visits_prefill_the_premedications_domain_gives():
    from visits.models import PremedicationProtocol

    medicines = PremedicationProtocol.objects.filter(therapy__code="ocrelizumab_sc").values_list(
        "medicine", flat=True
    )
    assert sorted(medicines) == ["Antihistamine", "Dexamethasone (or equivalent)"]
