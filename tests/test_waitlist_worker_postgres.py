"""Must show 2: a cascade with a real worker. A cancels; the worker offers A's time to B; B
accepts, which frees B's old time; the worker offers that to C; C accepts.

One `manage.py qcluster` process runs against the test database (PostgreSQL); this process
only queues (the booking service's after-commit hook) and plays the patients.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_q.conf import Conf

from clinic.models import Notice
from scheduling.booking import session_book, session_cancel
from scheduling.models import Session, WaitlistOffer
from scheduling.waitlist import Outcome, offer_accept, waitlist_join
from tests.factories import PatientFactory, clinic_week, ready_course
from tests.local_servers import LocalSMTPServer, PagerServer
from tests.test_worker_postgres import start_workers, stop_workers, wait_for

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
NY = ZoneInfo("America/New_York")


def _book(chair, ahead: int, name: str) -> Session:
    today = timezone.localdate(timezone=NY)
    course = ready_course(
        "natalizumab",
        start_after=today + timedelta(days=2),
        patient=PatientFactory(email=f"{name}@example.test"),
    )
    start = datetime.combine(today + timedelta(days=ahead), time(9), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chair, start=start, notify=False)


def test_a_cancellation_cascades_through_two_offers_with_the_worker(
    settings, monkeypatch, tmp_path
):
    settings.WAITLIST_OFFER_BATCH = 1
    monkeypatch.setattr(Conf, "SYNC", False)  # this process only queues; the worker runs
    chairs = clinic_week(chairs=1, weekdays=range(7))
    a = _book(chairs[0], 4, "a")
    b = _book(chairs[0], 10, "b")
    c = _book(chairs[0], 12, "c")
    waitlist_join(dose=b.dose)
    waitlist_join(dose=c.dose)
    a_time, b_time = a.start, b.start

    with LocalSMTPServer(answering=True) as smtp, PagerServer() as pager:
        monkeypatch.setenv("WAITLIST_OFFER_BATCH", "1")  # the worker reads its own settings
        workers = start_workers(1, smtp, pager, tmp_path)
        try:
            session_cancel(session=a, reason="Patient: travelling")
            to_b = WaitlistOffer.objects.filter(entry__dose=b.dose)
            wait_for(to_b.exists, 90, "the worker's offer of A's time to B")
            assert to_b.get().start == a_time
            # B follows the link in the email the worker sent.
            emails = Notice.objects.filter(kind="waitlist_offer", status="sent")
            wait_for(lambda: emails.filter(recipients="b@example.test").exists(), 60, "B's email")
            assert offer_accept(offer=to_b.get()) == Outcome.ACCEPTED

            to_c = WaitlistOffer.objects.filter(entry__dose=c.dose)
            wait_for(to_c.exists, 90, "the worker's offer of B's old time to C")
            assert to_c.get().start == b_time
            wait_for(lambda: emails.filter(recipients="c@example.test").exists(), 60, "C's email")
            assert offer_accept(offer=to_c.get()) == Outcome.ACCEPTED
        finally:
            stop_workers(workers)

    b.refresh_from_db()
    c.refresh_from_db()
    assert (b.start, c.start) == (a_time, b_time)
    assert {o.status for o in WaitlistOffer.objects.all()} == {"accepted"}
    recipients = set(
        Notice.objects.filter(kind="waitlist_offer").values_list("recipients", flat=True)
    )
    assert recipients == {"b@example.test", "c@example.test"}
