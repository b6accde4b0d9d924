"""Plan a series of doses at once: windows, minimum gaps, consecutive-day blocks.

Pure, like the engine it builds on (`scheduling.availability`): plain values in, plain values
out; no ORM, no request, no clock. The first dose is placed by the engine's ranking; each
later dose is then searched inside its window counted from the date actually chosen for the
first, with the plan's earlier sessions booked into a copy of the day grids, so a plan's
sessions count against each other's chairs and nurse capacity.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from scheduling.availability import Booked, Chair, ClinicDay, DayGrid, Engine, Option


def months_after(day: date, months: int) -> date:
    """Return the same day `months` calendar months later (the month's last day if shorter).

    "At least 5 months" after 31 March is 31 August; after 30 September, 28 or 29 February.
    Negative `months` counts back the same way.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def gap_earliest(previous: date, days: int, months: int) -> date:
    """Return the first day a dose may follow one given on `previous`: both gaps hold."""
    earliest = previous + timedelta(days=days)
    return max(earliest, months_after(previous, months)) if months else earliest


def gap_latest(following: date, days: int, months: int) -> date:
    """Return the last day a dose may precede one given on `following` with both gaps."""
    latest = following - timedelta(days=days)
    if not months:
        return latest
    candidate = months_after(following, -months)
    # Clamping can land a day late (31 July - 5 months = 28 Feb, + 5 months = 28 July, fine;
    # but 30 Sept - 7 months = 28 Feb): step back until the gap holds.
    while months_after(candidate, months) > following:
        candidate -= timedelta(days=1)
    return min(latest, candidate)


@dataclass(frozen=True, slots=True)
class DoseRequest:
    """One dose (or block of daily doses) of a series."""

    minutes: int
    offset_days: int  # target day counted from the plan's first dose (0 for it)
    window_before: int = 0  # days allowed before the target
    window_after: int = 0  # days allowed after the target
    min_gap_days: int = 0  # least days since the previous dose's (last) day
    min_gap_months: int = 0  # least calendar months since it, too (see `months_after`)
    block_days: int = 1  # >1: that many consecutive calendar days, same chair + time


@dataclass(frozen=True, slots=True)
class SeriesPlan:
    options: tuple[Option, ...]  # one Option per booked day, in order (blocks expanded)


def plan_series(
    *,
    days: Sequence[ClinicDay],
    chairs: Sequence[Chair],
    booked: Sequence[Booked],
    doses: Sequence[DoseRequest],
    first_earliest: date,
    first_latest: date,
    tz: tzinfo,
    chair_kinds: frozenset[str] = frozenset(),
    part_of_day: str = "any",
    limit: int = 3,
    ranking: str = "level",
    by_date: bool = False,
) -> list[SeriesPlan]:
    """Return up to `limit` consistent plans, earliest first, each on its own day if it can.

    Each dose lies inside its window relative to the ACTUAL date chosen for the first dose,
    minimum gaps hold, blocks are consecutive open days at the same local time and chair,
    and a plan's sessions count against each other's chairs and nurse capacity. Later doses
    prefer the first dose's local time of day.

    Which plans: the first dose's best start on each day is tried, the days in the order of
    their best start's rank (by_date=False: the leveled choice), or in date order from
    `first_earliest` (by_date=True: a scheduler asked for a day and wants it, or the next
    days, first); other starts on a day already used only when no other day gives a plan.
    The plans found are then shown in date order, so "Plan 1" is always the earliest.
    """
    if not doses or limit <= 0:
        return []
    horizon = max(d.offset_days + d.window_after + d.block_days for d in doses)
    last = first_latest + timedelta(horizon)
    eng = Engine(days, chairs, booked, tz, first_earliest, last, [d.minutes for d in doses])
    first = doses[0]
    ranked = _dose_candidates(
        eng, eng.days, first, first_earliest, first_latest, chair_kinds, part_of_day, ranking
    )
    # Offer different days first: plans 15 minutes apart on one day are not real choices.
    seen: set[int] = set()
    firsts = [c for c in ranked if c[1] not in seen and not seen.add(c[1])]
    if by_date:
        firsts.sort(key=lambda c: c[1])  # day index: the engine's days are in date order
    firsts += [c for c in ranked if c not in firsts]
    plans: list[SeriesPlan] = []
    for tried, cand in enumerate(firsts):
        if len(plans) >= limit or tried >= limit * 4:
            break
        state = list(eng.days)
        chosen = _commit(eng, state, first, cand, ranking)
        anchor = cand[2]
        d0 = chosen[0].day
        prev_last = chosen[-1].day
        ok = True
        for dose in doses[1:]:
            target = d0 + timedelta(dose.offset_days)
            lo = max(
                target - timedelta(dose.window_before),
                gap_earliest(prev_last, dose.min_gap_days, dose.min_gap_months),
            )
            hi = target + timedelta(dose.window_after)
            found = _dose_candidates(
                eng, state, dose, lo, hi, chair_kinds, part_of_day, ranking, anchor, best_only=True
            )
            if not found:
                ok = False
                break
            opts = _commit(eng, state, dose, found[0], ranking)
            chosen.extend(opts)
            prev_last = opts[-1].day
        if ok:
            plans.append(SeriesPlan(tuple(chosen)))
    return sorted(plans, key=lambda plan: plan.options[0].start)


def _dose_candidates(
    eng: Engine,
    state: list[DayGrid],
    dose: DoseRequest,
    lo: date,
    hi: date,
    kinds: frozenset[str],
    part_of_day: str,
    ranking: str,
    anchor: int | None = None,
    *,
    best_only: bool = False,
) -> list[tuple[tuple, int, int, int, list[int]]]:
    """Return (key, day index, local minute, offset, chairs) candidates for one dose."""
    saved = eng.days
    eng.days = state
    try:
        if dose.block_days <= 1:
            rows = eng.ranked_singles(dose.minutes, lo, hi, kinds, part_of_day, ranking, anchor)
            if best_only:
                rows = rows[:1]
            allowed = eng.allowed(kinds)
            return [
                (key, k, state[k].local[i], i, [c for c in allowed if masks.get(c, 0) >> i & 1])
                for key, k, i, masks in rows
            ]
        blocks = _ranked_blocks(
            eng, dose.minutes, dose.block_days, lo, hi, kinds, part_of_day, ranking, anchor
        )
        if best_only:
            blocks = blocks[:1]
        return [(key, k, lm, -1, [c for c, _ in chairs]) for key, k, lm, chairs in blocks]
    finally:
        eng.days = saved


def _commit(
    eng: Engine, state: list[DayGrid], dose: DoseRequest, cand: tuple, ranking: str
) -> list[Option]:
    """Book a candidate into the planning state; return its Options (one per day)."""
    _key, k, lm, offset, chair_ids = cand
    run = range(k, k + max(dose.block_days, 1))

    def at(day: DayGrid) -> int:
        # Singles know their offset; a block finds the same local time on each day.
        return offset if offset >= 0 else next(i for i, m in day.local.items() if m == lm)

    # One chair for the whole block: the best fit on its first day.
    chair = eng.best_chair(state[k], at(state[k]), dose.minutes, chair_ids, ranking)
    out = []
    for j in run:
        day = state[j]
        i = at(day)
        out.append(day.option(chair, i, dose.minutes, eng.tz))
        s = day.minute_of(i)
        state[j] = day.with_session(eng.cdays[j], chair, s, s + dose.minutes, eng.tz)
    return out


def _ranked_blocks(
    eng: Engine,
    minutes: int,
    block: int,
    lo: date,
    hi: date,
    kinds: frozenset[str],
    part_of_day: str,
    ranking: str,
    anchor: int | None = None,
) -> list[tuple[tuple, int, int, list[tuple[int, int]]]]:
    """Return (key, first day index, local minute, [(chair, offsets...)]) for blocks.

    A block is `block` consecutive calendar days, all open, at the same local time
    on the same chair.
    """
    allowed = eng.allowed(kinds)
    out = []
    for k, first in enumerate(eng.days):
        if not lo <= first.day <= hi or k + block > len(eng.days):
            continue
        run = eng.days[k : k + block]
        if (run[-1].day - first.day).days != block - 1:
            continue  # a closed day inside the block
        common: dict[int, set[int]] | None = None
        offsets: list[dict[int, int]] = []
        for day in run:
            masks = day.chair_masks(minutes, allowed)
            by_local = {day.local[i]: i for i in day.local}
            offsets.append(by_local)
            here = {
                cid: {lm for lm, i in by_local.items() if m >> i & 1} for cid, m in masks.items()
            }
            if common is None:
                common = here
            else:
                common = {c: common[c] & here[c] for c in common if c in here}
            if not common:
                break
        if not common:
            continue
        for lm in sorted(set().union(*common.values())):
            chairs_ok = [c for c in allowed if lm in common.get(c, ())]
            keys = [
                eng.key(
                    day,
                    offsets[j][lm],
                    minutes,
                    ranking=ranking,
                    part_of_day=part_of_day,
                    anchor=anchor,
                )
                for j, day in enumerate(run)
            ]
            key = (*max(keys)[:-2], first.day, lm) if ranking != "first_fit" else keys[0]
            out.append((key, k, lm, [(c, 0) for c in chairs_ok]))
    out.sort(key=lambda r: r[0])
    return out
