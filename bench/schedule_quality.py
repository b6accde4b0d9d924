"""Schedule quality: Chairside's leveling ranking against first-fit on 4 weeks of demand.

Pure engine only (no database). A 12-chair clinic (2 beds), 07:30-18:00 Mon-Fri, nurses
1:4 with 2 on duty early and late and 3 at peak. Demand follows the therapy mix of
DOMAIN.md (chair times from clinic/therapies/) up to 90% of the bookable chair-hours
(chairs and nurses both limit them; see `upper_bound_chair_hours`). Requests arrive in
random order; each is booked with its top option, once with ranking="first_fit" and once
with ranking="level", from the same seed.

    .venv/bin/python bench/schedule_quality.py [--seed 7] [--load 0.9] [--png PATH]

Then the cancellation scenario (`bench/cancellations.py`): 10 % of the booked single doses
cancelled 1-7 days ahead, with a waitlist; the share of cancelled chair-hours refilled by
the backfill, printed beside "no backfill" from the same run.

Prints progress on stderr and one JSON line on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from itertools import pairwise

from bench.cancellations import (
    ACCEPT,
    BATCH,
    CANCEL_SHARE,
    WAITLIST_SHARE,
    held_schedule,
    simulate,
)
from bench.clinic_model import (
    ROOT,
    TZ,
    clinic_day,
    log,
    make_chairs,
    upper_bound_minutes,
)
from clinic.therapy_catalogue import catalogue_read
from scheduling.availability import Booked, ClinicDay, SlotRequest, find_options
from scheduling.series import DoseRequest, plan_series

N_CHAIRS, N_BEDS = 12, 2
FIRST_DAY = date(2026, 6, 1)  # a Monday, no daylight-saving change in the 4 weeks
HORIZON = 28
CORE = (dtime(10, 0), dtime(15, 0))
STEPS = {t["code"]: t["steps"] for t in catalogue_read()}


def chair_minutes(code: str, step: int, *, short: bool = False) -> int:
    """Return premed + infusion + observation of a catalogue step (short infusion if asked)."""
    s = STEPS[code][step]
    infusion = s["infusion_minutes"]
    if short and s["short_infusion_minutes"]:
        infusion = s["short_infusion_minutes"]
    return s["premed_minutes"] + infusion + s["observation_minutes"]


@dataclass
class Demand:
    label: str
    doses: list[DoseRequest]
    lo: date  # window of the first (or only) dose
    hi: date
    kinds: frozenset[str] = frozenset()

    @property
    def chair_minutes(self) -> int:
        return sum(d.minutes * d.block_days for d in self.doses)


def _window(target: int, before: int, after: int) -> tuple[date, date]:
    lo = max(target - before, 0)
    hi = min(target + after, HORIZON - 1)
    return FIRST_DAY + timedelta(lo), FIRST_DAY + timedelta(max(hi, lo))


def _target(rng: random.Random, before: int, after: int) -> int:
    """Return a due day whose whole window lies in the 4 weeks when it can.

    Requests due near the edges would otherwise get windows clipped to a day or two by the
    simulation's horizon rather than by the clinic; windows wider than 4 weeks still clip.
    """
    if before + after < HORIZON:
        return rng.randint(before, HORIZON - 1 - after)
    return rng.randrange(HORIZON)


def _single(label: str, minutes: int, target: int, before: int, after: int) -> Demand:
    lo, hi = _window(target, before, after)
    return Demand(label, [DoseRequest(minutes=minutes, offset_days=0)], lo, hi)


def _natalizumab(rng: random.Random) -> Demand:
    step = 0 if rng.random() < 0.6 else 1  # infusions 1-12 keep the hour of observation
    s = STEPS["natalizumab"][step]
    t = _target(rng, s["window_before_days"], 7)
    return _single("natalizumab", chair_minutes("natalizumab", step), t, s["window_before_days"], 7)


def _maintenance(code: str, step: int, short_share: float = 0.0) -> Callable:
    def make(rng: random.Random) -> Demand:
        s = STEPS[code][step]
        minutes = chair_minutes(code, step, short=rng.random() < short_share)
        before, after = s["window_before_days"], s["window_after_days"]
        return _single(code, minutes, _target(rng, before, after), before, after)

    return make


def _course_start(code: str) -> Callable:
    """Loading doses: day 1 within a week of acceptance, day 15 inside its catalogue window."""

    def make(rng: random.Random) -> Demand:
        d2 = STEPS[code][1]
        t = rng.randrange(6)
        doses = [
            DoseRequest(minutes=chair_minutes(code, 0), offset_days=0),
            DoseRequest(
                minutes=chair_minutes(code, 1),
                offset_days=d2["day"],
                window_before=d2["window_before_days"],
                window_after=d2["window_after_days"],
                min_gap_days=d2["min_gap_days"],
            ),
        ]
        lo, hi = _window(t, 0, 5)
        return Demand(f"{code} start", doses, lo, hi)

    return make


def _block(code: str, days: int, latest_start: int, spread: int) -> Callable:
    def make(rng: random.Random) -> Demand:
        t = rng.randrange(latest_start)
        lo, hi = _window(t, 0, spread)
        dose = DoseRequest(minutes=chair_minutes(code, 0), offset_days=0, block_days=days)
        return Demand(f"{code} block", [dose], lo, hi)

    return make


def _teaching(rng: random.Random) -> Demand:
    return _single("teaching visit", chair_minutes("ofatumumab", 0), _target(rng, 0, 14), 0, 14)


# (weight by count, generator). Natalizumab every 4 weeks dominates a typical MS infusion
# list; anti-CD20 maintenance next; a few new courses, relapse pulses and IVIG.
MIX: list[tuple[int, Callable[[random.Random], Demand]]] = [
    (40, _natalizumab),
    (14, _maintenance("ocrelizumab", 2, short_share=0.4)),
    (5, _maintenance("ublituximab", 2)),
    (4, _maintenance("rituximab", 2)),
    (8, _maintenance("ivig", 0)),
    (3, _course_start("ocrelizumab")),
    (2, _course_start("ublituximab")),
    (4, _block("methylprednisolone", 3, HORIZON - 4, 2)),  # urgent: within 48 hours
    (6, _teaching),
]


def make_demand(rng: random.Random, target_minutes: int) -> list[Demand]:
    """Return requests in arrival order until their chair time reaches the target."""
    lemtrada = _block("alemtuzumab", 5, 14, 9)
    demand = [lemtrada(rng), lemtrada(rng)]  # "a few" Lemtrada blocks
    weights = [w for w, _ in MIX]
    makers = [m for _, m in MIX]
    total = sum(d.chair_minutes for d in demand)
    while total < target_minutes:
        d = rng.choices(makers, weights)[0](rng)
        if len(d.doses) == 1 and d.doses[0].block_days == 1 and rng.random() < 0.05:
            d.kinds = frozenset({"bed"})  # patients who can't transfer to a chair
        demand.append(d)
        total += d.chair_minutes
    rng.shuffle(demand)
    return demand


def book_one(
    d: Demand, days: list[ClinicDay], chairs: list, booked: list[Booked], ranking: str
) -> list:
    """Return the top option(s) for one request: one per day booked, or [] if none fits."""
    if len(d.doses) == 1 and d.doses[0].block_days == 1:
        request = SlotRequest(
            minutes=d.doses[0].minutes, earliest=d.lo, latest=d.hi, chair_kinds=d.kinds
        )
        return find_options(
            days=days,
            chairs=chairs,
            booked=booked,
            request=request,
            tz=TZ,
            limit=1,
            ranking=ranking,
        )
    plans = plan_series(
        days=days,
        chairs=chairs,
        booked=booked,
        doses=d.doses,
        first_earliest=d.lo,
        first_latest=d.hi,
        tz=TZ,
        chair_kinds=d.kinds,
        limit=1,
        ranking=ranking,
    )
    return list(plans[0].options) if plans else []


def book_all(
    demand: list[Demand], days: list[ClinicDay], ranking: str, placed: list | None = None
) -> tuple[list, int, float]:
    """Book each request's top option; return sessions, requests booked, seconds spent.

    `placed`, if given, receives (request index, options) for each request booked.
    """
    chairs = make_chairs(N_CHAIRS, N_BEDS)
    booked: list[Booked] = []
    ok = 0
    started = time.perf_counter()
    for n, d in enumerate(demand, 1):
        options = book_one(d, days, chairs, booked, ranking)
        if options:
            ok += 1
            booked.extend(Booked(o.chair_id, o.start, o.end) for o in options)
            if placed is not None:
                placed.append((n - 1, options))
        if n % 200 == 0:
            log(f"{ranking}: {n}/{len(demand)} requests, {ok} booked")
    return booked, ok, time.perf_counter() - started


def infeasible(demand: list[Demand], days: list[ClinicDay]) -> int:
    """Count requests that fit nowhere even in an empty clinic (e.g. a 3-day pulse due on a
    Thursday when weekends are closed): no scheduler could book them."""
    chairs = make_chairs(N_CHAIRS, N_BEDS)
    return sum(not book_one(d, days, chairs, [], "first_fit") for d in demand)


def _minute(dt: datetime) -> int:
    return int(dt.astimezone(UTC).timestamp()) // 60


def day_profiles(booked: list[Booked], days: list[ClinicDay]) -> dict[date, list[int]]:
    """Return per-minute concurrency from opening to closing for each day."""
    out = {}
    for cd in days:
        base, span = _minute(cd.opens), _minute(cd.closes) - _minute(cd.opens)
        conc = [0] * span
        for b in booked:
            a, z = max(_minute(b.start) - base, 0), min(_minute(b.end) - base, span)
            for t in range(a, z):
                conc[t] += 1
        out[cd.day] = conc
    return out


def breaches(booked: list[Booked], days: list[ClinicDay]) -> int:
    """Count minutes over nurse capacity or chairs, plus minutes of chair double-booking."""
    count = 0
    by_chair: dict[int, list[Booked]] = {}
    for b in booked:
        by_chair.setdefault(b.chair_id, []).append(b)
    for sessions in by_chair.values():
        sessions.sort(key=lambda b: b.start)
        for x, y in pairwise(sessions):
            if y.start < x.end:
                count += int((x.end - y.start).total_seconds() // 60)
    profiles = day_profiles(booked, days)
    for cd in days:
        base = _minute(cd.opens)
        conc = profiles[cd.day]
        for t, level in enumerate(conc):
            when = base + t
            cap = sum(s.patients for s in cd.capacity if _minute(s.start) <= when < _minute(s.end))
            count += level > min(cap, N_CHAIRS)
    # Sessions outside opening hours are breaches too.
    opens = {cd.day: (cd.opens, cd.closes, cd.last_start) for cd in days}
    for b in booked:
        o, c, last = opens[b.start.astimezone(TZ).date()]
        count += not (o <= b.start <= last and b.end <= c)
    return count


def core_minutes(profiles: dict[date, list[int]], days: list[ClinicDay]) -> dict[date, list]:
    """Return each day's per-minute concurrency over the core hours 10:00-15:00."""
    out = {}
    for cd in days:
        start = _minute(datetime.combine(cd.day, CORE[0], TZ)) - _minute(cd.opens)
        end = _minute(datetime.combine(cd.day, CORE[1], TZ)) - _minute(cd.opens)
        out[cd.day] = profiles[cd.day][start:end]
    return out


def measure(
    booked: list[Booked],
    ok: int,
    demand: list[Demand],
    days: list[ClinicDay],
    open_minutes: int,
) -> dict:
    """Return the quality figures of one booked schedule.

    peak_to_mean: the highest number of concurrent sessions seen in core hours over the 4
    weeks ÷ the mean number over all core-hour minutes of the 4 weeks (staff are planned
    for the peak; the mean is what the clinic gets out of them). The per-day variant
    averages each day's own ratio; a day packed solid scores 1.0 on it however uneven the
    weeks are, so it is reported beside the main figure, not instead of it.
    """
    profiles = day_profiles(booked, days)
    core = core_minutes(profiles, days)
    every = [level for minutes in core.values() for level in minutes]
    daily = [max(m) / (sum(m) / len(m)) for m in core.values() if sum(m)]
    booked_minutes = sum(sum(p) for p in profiles.values())
    return {
        "booked_share": round(ok / len(demand), 4),
        "utilisation": round(booked_minutes / open_minutes, 4),
        "peak_to_mean": round(max(every) / (sum(every) / len(every)), 4),
        "peak_to_mean_daily": round(sum(daily) / len(daily), 4),
        "nurse_breaches": breaches(booked, days),
        "booked_chair_hours": round(booked_minutes / 60, 1),
    }


def comparable_day(days: list[ClinicDay], lv: dict, ff: dict) -> ClinicDay:
    """Return the busy day where both methods booked the most similar chair time.

    First-fit fills the first weeks to the brim and leaves the last ones nearly empty, so
    most single days compare a full day with a half-empty one; this picks like with like.
    """
    bound = upper_bound_minutes(days[0], N_CHAIRS)
    busy = [d for d in days if min(sum(lv[d.day]), sum(ff[d.day])) > 0.6 * bound]
    return min(busy or days, key=lambda d: abs(sum(lv[d.day]) - sum(ff[d.day])))


def plot(path: str, days: list[ClinicDay], day: ClinicDay, lv: dict, ff: dict) -> None:
    """Draw the average day of the 4 weeks (left) and one comparable busy day (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    span = len(lv[day.day])
    hours = [7.5 + t / 60 for t in range(span)]
    cap = []
    for t in range(span):
        when = _minute(day.opens) + t
        n = sum(s.patients for s in day.capacity if _minute(s.start) <= when < _minute(s.end))
        cap.append(min(n, N_CHAIRS))

    def mean(profiles: dict) -> list[float]:
        return [sum(profiles[d.day][t] for d in days) / len(days) for t in range(span)]

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), dpi=110, sharey=True)
    panels = (
        (axes[0], mean(lv), mean(ff), f"average of the {len(days)} open days"),
        (axes[1], lv[day.day], ff[day.day], f"{day.day:%a %d %b %Y} (similar chair time)"),
    )
    for ax, leveled, first_fit, label in panels:
        ax.axvspan(10, 15, color="#f2f2f2", zorder=0, label="core hours 10:00-15:00")
        ax.step(hours, cap, where="post", label="nurse capacity (1:4)", color="#555", ls="--", lw=1)
        ax.step(
            hours, first_fit, where="post", label="first-fit (earliest free slot)", color="#c0392b"
        )
        ax.step(hours, leveled, where="post", label="Chairside leveling", color="#1f6feb", lw=2)
        ax.set_xlabel(f"clinic time: {label}")
        ax.set_xticks(range(8, 19))
        ax.set_ylim(0, N_CHAIRS + 1)
    axes[0].set_ylabel("patients in chairs")
    axes[1].legend(loc="lower center", fontsize=8, ncol=2)
    fig.suptitle("Concurrent sessions, leveled vs first-fit, same requests (schedule_quality.py)")
    fig.tight_layout()
    fig.savefig(path)
    log(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--load", type=float, default=0.9, help="share of bookable chair-hours")
    parser.add_argument("--png", default=str(ROOT / "docs" / "leveled-vs-firstfit.png"))
    parser.add_argument(
        "--plot-day", type=int, default=-1, help="index of the open day plotted (-1: auto)"
    )
    args = parser.parse_args()

    rng = random.Random(args.seed)
    days = [clinic_day(FIRST_DAY + timedelta(n)) for n in range(HORIZON)]
    days = [d for d in days if d.day.weekday() < 5]
    bound = sum(upper_bound_minutes(d, N_CHAIRS) for d in days)
    open_minutes = N_CHAIRS * sum(_minute(d.closes) - _minute(d.opens) for d in days)
    demand = make_demand(rng, int(bound * args.load))
    demand_minutes = sum(d.chair_minutes for d in demand)
    log(
        f"{len(demand)} requests, {demand_minutes / 60:.0f} chair-hours demanded; "
        f"bound {bound / 60:.0f}, open {open_minutes / 60:.0f}"
    )

    impossible = infeasible(demand, days)
    ff_booked, ff_ok, ff_s = book_all(demand, days, "first_fit")
    placed: list = []
    lv_booked, lv_ok, lv_s = book_all(demand, days, "level", placed)
    ff = measure(ff_booked, ff_ok, demand, days, open_minutes)
    lv = measure(lv_booked, lv_ok, demand, days, open_minutes)
    log(f"first-fit {ff} in {ff_s:.1f}s")
    log(f"level     {lv} in {lv_s:.1f}s")

    if args.png:
        lv_prof, ff_prof = day_profiles(lv_booked, days), day_profiles(ff_booked, days)
        day = days[args.plot_day] if args.plot_day >= 0 else comparable_day(days, lv_prof, ff_prof)
        plot(args.png, days, day, lv_prof, ff_prof)

    result = {
        "booked_share": lv["booked_share"],
        "utilisation": lv["utilisation"],
        "peak_to_mean": lv["peak_to_mean"],
        "firstfit_booked_share": ff["booked_share"],
        "firstfit_utilisation": ff["utilisation"],
        "firstfit_peak_to_mean": ff["peak_to_mean"],
        "seed": args.seed,
        "nurse_breaches": lv["nurse_breaches"],
        "firstfit_nurse_breaches": ff["nurse_breaches"],
        "upper_bound_chair_hours": round(bound / 60, 1),
        "open_chair_hours": round(open_minutes / 60, 1),
        "demand_chair_hours": round(demand_minutes / 60, 1),
        "load": args.load,
        "requests": len(demand),
        "infeasible_requests": impossible,
        "booked_share_of_feasible": round(lv_ok / (len(demand) - impossible), 4),
        "firstfit_booked_share_of_feasible": round(ff_ok / (len(demand) - impossible), 4),
        "booked_chair_hours": lv["booked_chair_hours"],
        "firstfit_booked_chair_hours": ff["booked_chair_hours"],
        "peak_to_mean_daily": lv["peak_to_mean_daily"],
        "firstfit_peak_to_mean_daily": ff["peak_to_mean_daily"],
        "level_seconds": round(lv_s, 2),
        "firstfit_seconds": round(ff_s, 2),
    }
    # The cancellation scenario: the same cancellations with and without the waitlist backfill.
    held, fixed = held_schedule(placed, demand)
    chairs = make_chairs(N_CHAIRS, N_BEDS)
    without = simulate(held, fixed, days, chairs, TZ, args.seed, backfill=False)
    held, fixed = held_schedule(placed, demand)
    refill = simulate(held, fixed, days, chairs, TZ, args.seed, backfill=True)
    log(f"cancellations: no backfill {without}; backfill {refill}")
    result |= {
        "cancelled_chair_hours": refill["cancelled_chair_hours"],
        "backfill_refilled_share": refill["refilled_share"],
        "no_backfill_refilled_share": without["refilled_share"],
        "backfill_moved_earlier": refill["moved_earlier"],
        "backfill_assumptions": {
            "cancelled_share": CANCEL_SHARE,
            "waitlisted_share": WAITLIST_SHARE,
            "accept_probability": ACCEPT,
            "offers_at_once": BATCH,
        },
    }
    result["targets_met"] = (
        result["booked_share"] >= 0.97
        and result["peak_to_mean"] <= 1.15
        and result["booked_share"] > result["firstfit_booked_share"]
        and result["peak_to_mean"] < result["firstfit_peak_to_mean"]
        and result["nurse_breaches"] == 0
    )
    result["backfill_target_met"] = result["backfill_refilled_share"] >= 0.6
    print(json.dumps(result))


if __name__ == "__main__":
    main()
