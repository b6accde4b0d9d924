"""Chair times learned from real visits: hand-computed figures, adoption for new bookings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduling.booking import session_book
from scheduling.models import ChairTimeAdoption
from tests.factories import PatientFactory, clinic_week, ready_course
from tests.visit_helpers import at, completed_records, visit_day
from visits.learning import learned, percentile
from visits.selectors import drift_rows


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([250, 262, 270, 281, 300], 50, 270),
        # rank (5 - 1) × 0.8 = 3.2: 281 + 0.2 × (300 − 281) = 284.8
        ([250, 262, 270, 281, 300], 80, 284.8),
        # rank 3 × 0.5 = 1.5: halfway between 200 and 220
        ([240, 200, 180, 220], 50, 210),
        # rank 3 × 0.8 = 2.4: 220 + 0.4 × (240 − 220) = 228
        ([240, 200, 180, 220], 80, 228),
        ([95], 80, 95),
    ],
)
def test_percentiles_match_the_hand_computation(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)


def test_learned_rounds_to_whole_minutes_and_counts_the_visits():
    figures = learned([250, 262, 270, 281, 300])
    assert (figures.count, figures.median, figures.p80) == (5, 270, 285)
    assert learned([]) is None


@pytest.mark.django_db
def test_the_drift_rows_give_the_hand_computed_figures_per_therapy_and_kind():
    chairs = clinic_week(chairs=2, weekdays=range(7))
    completed_records([250, 262, 270, 281, 300], chairs=chairs)
    completed_records([400, 410], kind="maintenance", chairs=chairs, days_ago=30)
    rows = {(r.therapy.code, r.kind): r for r in drift_rows()}
    first = rows[("ocrelizumab", "first")]
    assert (first.chair.count, first.chair.median, first.chair.p80) == (5, 270, 285)
    assert first.template_minutes == 240  # 30 + 2 h 30 + 60 for the 300 mg dose
    maintenance = rows[("ocrelizumab", "maintenance")]
    assert (maintenance.chair.count, maintenance.chair.median) == (2, 405)
    assert maintenance.template_minutes == 300  # 30 + 3 h 30 + 60 for 600 mg


@pytest.mark.django_db
def test_only_the_most_recent_visits_count():
    from visits.models import VisitSettings

    VisitSettings.objects.update_or_create(pk=1, defaults={"recent_visits": 5})
    chairs = clinic_week(chairs=2, weekdays=range(7))
    completed_records([250, 262, 270, 281, 300], chairs=chairs, days_ago=5)
    completed_records([900, 900, 900], chairs=chairs, days_ago=60)  # older: left out
    (row,) = drift_rows()
    assert (row.chair.count, row.chair.median) == (5, 270)


@pytest.mark.django_db
def test_adopting_the_median_changes_new_bookings_only(client, coordinator):
    chairs = clinic_week(chairs=3, weekdays=range(7))
    completed_records([250, 262, 270, 281, 300], chairs=chairs)
    before = ready_course(start_after=visit_day(), patient=PatientFactory())
    booked_before = session_book(dose=before.doses.get(sequence=1), chair=chairs[0], start=at(8))
    assert booked_before.end - booked_before.start == timedelta(minutes=240)

    client.force_login(coordinator)
    therapy = before.therapy
    response = client.post(
        "/admin/visits/visitrecord/chair-times/",
        {"therapy": therapy.pk, "kind": "first", "choice": "median"},
        follow=True,
    )
    assert "new bookings now take 4 h 30" in response.content.decode()
    adoption = ChairTimeAdoption.objects.get()
    assert (adoption.minutes, adoption.adopted_by) == (270, coordinator)
    assert adoption.history.count() == 1

    after = ready_course(start_after=visit_day(), patient=PatientFactory())
    booked_after = session_book(dose=after.doses.get(sequence=1), chair=chairs[1], start=at(8))
    assert booked_after.end - booked_after.start == timedelta(minutes=270)
    booked_before.refresh_from_db()
    assert booked_before.end - booked_before.start == timedelta(minutes=240)
    # Another dose kind keeps its template.
    assert after.doses.get(sequence=2).minutes == 240


@pytest.mark.django_db
def test_adopting_again_keeps_the_history_and_withdrawing_returns_to_the_template(
    client, coordinator
):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    completed_records([250, 262, 270, 281, 300], chairs=chairs)
    client.force_login(coordinator)
    therapy = ChairTimeAdoption._meta.get_field("therapy").related_model.objects.get(
        code="ocrelizumab"
    )
    url = "/admin/visits/visitrecord/chair-times/"
    client.post(url, {"therapy": therapy.pk, "kind": "first", "choice": "median"})
    client.post(url, {"therapy": therapy.pk, "kind": "first", "choice": "p80"})
    adoption = ChairTimeAdoption.objects.get()
    assert adoption.minutes == 285
    assert [h.minutes for h in adoption.history.all()] == [285, 270]
    client.post(url, {"therapy": therapy.pk, "kind": "first", "choice": "median", "withdraw": "1"})
    assert not ChairTimeAdoption.objects.exists()
    course = ready_course(start_after=visit_day(), patient=PatientFactory())
    assert course.doses.get(sequence=1).minutes == 240


@pytest.mark.django_db
def test_a_scheduler_sees_the_drift_but_may_not_adopt(client, scheduler):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    completed_records([250, 262, 270], chairs=chairs)
    client.force_login(scheduler)
    url = "/admin/visits/visitrecord/chair-times/"
    html = client.get(url).content.decode()
    assert "Ocrelizumab first infusion: template 4 h, actual median 4 h 22 over 3 visits" in html
    assert "Adopt the median" not in html
    therapy_pk = (
        ChairTimeAdoption._meta.get_field("therapy")
        .related_model.objects.get(code="ocrelizumab")
        .pk
    )
    assert (
        client.post(url, {"therapy": therapy_pk, "kind": "first", "choice": "median"}).status_code
        == 403
    )
    assert not ChairTimeAdoption.objects.exists()
