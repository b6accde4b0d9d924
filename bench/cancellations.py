"""The cancellation scenario of `bench/schedule_quality.py`: how much cancelled chair time the
waitlist backfill fills again, beside no backfill at all.

Pure engine and the backfill's own rules (`scheduling.refill`), no database. From a booked
4-week schedule, 10 % of the single-dose sessions are cancelled, each 1 to 7 days before its
start, in the order the cancellations arrive. A share of the booked patients are on the
waitlist (with the limits patients give: notice, mornings only). For each freed time the
backfill ranks the waitlisted doses, asks the engine where each could start on the freed
chair (its own session left out), and offers it to `BATCH` at once; each accepts with
probability `ACCEPT`; the first to accept moves there, which frees their old time in turn
(the cascade), and what they leave of a longer freed time is offered on. Nobody accepts:
the next batch is offered when the offers lapse (every `OFFER_HOURS`, as many rounds as
fit before the time). `WAITLIST_SHARE`, `ACCEPT` and the notice mix are assumptions (the
clinic's own figures replace them), printed with the result.

Measured: the share of cancelled chair-minutes occupied again ("refilled") and how many
patients moved earlier. A move fills one hole and opens another, later, where the cascade
goes on or new demand (not simulated here) can take it.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduling.availability import Booked, Chair, ClinicDay
from scheduling.refill import Candidate, Freed, fit, rank

CANCEL_SHARE = 0.10
WAITLIST_SHARE = 0.4
ACCEPT = 0.7
BATCH = 3
OFFER_HOURS = 4  # WAITLIST_OFFER_HOURS: each round of offers lapses after this


@dataclass
class Held:
    """One booked single-dose session with what the backfill needs to know about it."""

    key: int
    booked: Booked
    minutes: int
    lo: object
    hi: object
    target: object
    kinds: frozenset[str]
    waiting: bool = False
    notice: timedelta = timedelta(hours=24)
    part: str = "any"
    since: datetime | None = None


def _overlap(a: Booked, start: datetime, end: datetime) -> int:
    lo, hi = max(a.start, start), min(a.end, end)
    return max(0, int((hi - lo).total_seconds() // 60))


def simulate(
    held: list[Held],
    fixed: list[Booked],
    days: list[ClinicDay],
    chairs: list[Chair],
    tz: object,
    seed: int,
    *,
    backfill: bool,
) -> dict:
    """Cancel the same sessions (same seed) and measure what the backfill fills again."""
    rng = random.Random(seed)
    by_day = {d.day: d for d in days}
    chair_of = {c.id: c for c in chairs}
    sessions = {h.key: h for h in held}
    for h in held:
        h.waiting = rng.random() < WAITLIST_SHARE
        h.notice = timedelta(hours=rng.choice((4, 24, 24, 48)))
        h.part = "morning" if rng.random() < 0.15 else "any"
        h.since = h.booked.start - timedelta(days=rng.randint(10, 60))
    # Sessions in the last week have no later bookings in the simulated 4 weeks to pull
    # forward (a real clinic's book runs on): they stay, and 10 % of all sessions are drawn
    # from the others.
    last = max(h.booked.start for h in held) - timedelta(days=7)
    drawable = sorted(k for k, h in sessions.items() if h.booked.start <= last)
    cancelled = rng.sample(drawable, int(len(sessions) * CANCEL_SHARE))
    events = sorted(
        (sessions[k].booked.start - timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 9)), k)
        for k in cancelled
    )
    holes: list[tuple[datetime, datetime, int]] = []
    cancelled_minutes = moved = 0
    for now, key in events:
        gone = sessions.pop(key, None)
        if gone is None:
            continue
        cancelled_minutes += gone.minutes
        holes.append((gone.booked.start, gone.booked.end, gone.booked.chair_id))
        if not backfill:
            continue
        queue = deque([gone.booked])
        while queue:
            freed_at = queue.popleft()
            chair = chair_of[freed_at.chair_id]
            freed = Freed(chair.id, chair.kind, freed_at.start, freed_at.end)
            day = by_day.get(freed_at.start.astimezone(tz).date())
            if day is None:
                continue
            waiting = [
                Candidate(
                    entry_id=h.key,
                    minutes=h.minutes,
                    target=h.target,
                    earliest=h.lo,
                    latest=h.hi,
                    current_start=h.booked.start,
                    notice=h.notice,
                    waiting_since=h.since,
                    part_of_day=h.part,
                    chair_kinds=h.kinds,
                )
                for h in sessions.values()
                if h.waiting and h.booked.start > freed.start
            ]
            everyone = fixed + [h.booked for h in sessions.values()]
            offered = 0
            winner = None
            # Rounds of offers that can lapse before the time itself is too close.
            rounds = max(1, int((freed.start - now) / timedelta(hours=OFFER_HOURS)))
            for candidate in rank(waiting, now.astimezone(tz).date()):
                if offered >= BATCH * rounds:
                    break
                own = sessions[candidate.entry_id].booked
                option = fit(
                    candidate,
                    freed,
                    day=day,
                    chairs=chairs,
                    booked=[b for b in everyone if b is not own],
                    now=now,
                    tz=tz,
                )
                if option is None:
                    continue
                offered += 1
                if rng.random() < ACCEPT:
                    winner = (candidate.entry_id, option)
                    break
            if winner is None:
                continue
            entry, option = winner
            patient = sessions[entry]
            old = patient.booked
            patient.booked = Booked(option.chair_id, option.start, option.end)
            patient.waiting = False
            moved += 1
            queue.append(old)
            # What the moved patient leaves of the freed time is offered on, as the worker does.
            for lo, hi in ((freed.start, option.start), (option.end, freed.end)):
                if hi - lo >= timedelta(minutes=60):
                    queue.append(Booked(freed.chair_id, lo, hi))
    final = fixed + [h.booked for h in sessions.values()]
    refilled = sum(_overlap(b, s, e) for s, e, c in holes for b in final if b.chair_id == c)
    return {
        "cancelled_chair_hours": round(cancelled_minutes / 60, 1),
        "refilled_chair_hours": round(refilled / 60, 1),
        "refilled_share": round(refilled / cancelled_minutes, 4) if cancelled_minutes else 0.0,
        "moved_earlier": moved,
    }


def held_schedule(placed: list, demand: list) -> tuple[list[Held], list[Booked]]:
    """Split a booked schedule into single doses (which cancel and wait) and the rest."""
    held: list[Held] = []
    fixed: list[Booked] = []
    for index, options in placed:
        d = demand[index]
        slots = [Booked(o.chair_id, o.start, o.end) for o in options]
        if len(d.doses) == 1 and d.doses[0].block_days == 1 and slots:
            middle = d.lo + (d.hi - d.lo) / 2
            held.append(Held(index, slots[0], d.doses[0].minutes, d.lo, d.hi, middle, d.kinds))
        else:
            fixed.extend(slots)
    return held, fixed
