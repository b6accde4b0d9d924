"""Find free infusion start times from chairs, opening hours and nurse capacity.

Pure engine: plain values in, plain values out; no ORM, no request, no clock. Callers pass
aware datetimes (any time zone; the engine compares instants) and the clinic's `tz`, which
is used only for local dates, parts of day and the 15-minute wall-clock grid.

How it stays fast: each open day is turned once into integer minutes from opening, one
bitset of busy minutes per chair, and a per-minute concurrency list from one sorted sweep
(difference array + prefix sum). A start is free on a chair when the chair's busy bits,
"dilated" by the session length (log2(length) shifts), are clear at that start; nurse
capacity is the same test against the bitset of full minutes. Ranking then only reads
slices of the concurrency list for the starts that are feasible.

Times are rounded conservatively to whole minutes: busy sessions outwards, capacity
steps inwards. Time zones are assumed to have offsets in whole multiples of 15 minutes
(all current ones do), so 15 real minutes from a grid point is the next grid point, also
across a daylight-saving change.

A series of doses (windows, minimum gaps, consecutive-day blocks) is planned on top of this
engine in `scheduling.series`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import accumulate
from math import gcd
from operator import ge

GRID_MINUTES = 15
# Sessions at least this long are "long": leveling starts them early in the day.
LONG_MINUTES = 180
NOON = 12 * 60
# Front runners re-ranked by chair fit (see find_options).
RERANK = 20

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BITCHARS = bytes.maketrans(b"\x00\x01", b"01")
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Chair:
    id: int
    name: str
    kind: str  # "chair" | "bed" | "recliner"


@dataclass(frozen=True, slots=True)
class CapacityStep:
    """Nurse capacity (nurses on duty × patients per nurse) for [start, end).

    Overlapping steps add up, so one step per nurse shift works.
    """

    start: datetime
    end: datetime
    patients: int


@dataclass(frozen=True, slots=True)
class ClinicDay:
    """One open day; closed days are simply absent."""

    day: date  # clinic-local date
    opens: datetime
    closes: datetime  # a session must END by this
    last_start: datetime  # no session may START after this
    capacity: tuple[CapacityStep, ...]  # outside every step, capacity is 0


@dataclass(frozen=True, slots=True)
class Booked:
    """An active existing session."""

    chair_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class SlotRequest:
    minutes: int  # total chair time (premed + infusion + observation)
    earliest: date
    latest: date  # inclusive, clinic-local dates
    chair_kinds: frozenset[str] = frozenset()  # empty = any kind
    part_of_day: str = "any"  # "any" | "morning" (starts before 12:00) | "afternoon"


@dataclass(frozen=True, slots=True)
class Option:
    start: datetime
    end: datetime
    chair_id: int
    day: date  # clinic-local date
    peak: int  # highest concurrency during [start, end) if booked
    capacity_left: int  # min over [start, end) of capacity - concurrency, after booking


def _to_min(dt: datetime, *, ceil: bool = False) -> int:
    """Return whole minutes since the epoch, rounded down (or up)."""
    # Reading the timedelta's fields is several times faster than timedelta division,
    # and this runs twice per existing session.
    d = dt - _EPOCH
    m = d.days * 1440 + d.seconds // 60
    if ceil and (d.seconds % 60 or d.microseconds):
        m += 1
    return m


def _dilate(mask: int, width: int) -> int:
    """Return the mask whose bit t is set when any bit of [t, t + width) is set in `mask`."""
    covered = 1
    while covered < width:
        step = min(covered, width - covered)
        mask |= mask >> step
        covered += step
    return mask


class DayGrid:
    """One open day as integer time units from its opening (bit 0 = the first unit).

    The unit `u` is the largest number of minutes dividing every edge in the search (opening
    hours, capacity steps, sessions, durations) and the 15-minute grid: 15 when everything
    sits on the quarter hour, as bookings made through this engine do, so a day is ~42 units
    instead of ~630 minutes. Odd data (a session ending 10:07) just makes the unit smaller.
    """

    __slots__ = (
        "base",
        "busy",
        "cap",
        "conc",
        "day",
        "full",
        "grid",
        "local",
        "n_chairs",
        "peak",
        "prefix",
        "sessions",
        "span",
        "start_limit",
        "u",
    )

    def __init__(
        self,
        cd: ClinicDay,
        sessions: list[tuple[int, int, int]],
        n_chairs: int,
        tz: tzinfo,
        u: int,
    ) -> None:
        self.day = cd.day
        self.n_chairs = n_chairs
        self.sessions = sessions
        self.u = u
        base = self.base = _to_min(cd.opens, ceil=True)
        span = self.span = max((_to_min(cd.closes) - base) // u, 0)
        self.start_limit = min((_to_min(cd.last_start) - base) // u, span)
        # Grid points: the first local quarter hour at or after opening, then every 15 minutes.
        local0 = (_EPOCH + base * _MINUTE).astimezone(tz)
        first = (-(local0.hour * 60 + local0.minute) % GRID_MINUTES) // u
        offsets = range(first, self.start_limit + 1, GRID_MINUTES // u)
        self.grid = 0
        for i in offsets:
            self.grid |= 1 << i
        end_local = (_EPOCH + (base + span * u) * _MINUTE).astimezone(tz)
        if local0.utcoffset() == end_local.utcoffset():
            lm0 = local0.hour * 60 + local0.minute
            self.local = {i: lm0 + i * u for i in offsets}
        else:
            # A daylight-saving change happens today: ask the zone for each grid point.
            self.local = {}
            for i in offsets:
                t = (_EPOCH + (base + i * u) * _MINUTE).astimezone(tz)
                self.local[i] = t.hour * 60 + t.minute

        # The sweep: +1/-1 at each session's edges, then one prefix sum gives concurrency
        # per unit. This loop runs for every session of every day searched, so it avoids
        # function calls (min/max) on purpose.
        diff = [0] * (span + 1)
        busy: dict[int, int] = {}
        for chair_id, s, e in sessions:
            a = (s - base) // u
            if a < 0:
                a = 0
            b = (e - base) // u
            if b > span:
                b = span
            if b <= a:
                continue
            diff[a] += 1
            diff[b] -= 1
            busy[chair_id] = busy.get(chair_id, 0) | (((1 << (b - a)) - 1) << a)
        self.busy = busy
        capdiff = [0] * (span + 1)
        for step in cd.capacity:
            a = max((_to_min(step.start, ceil=True) - base) // u, 0)
            b = min((_to_min(step.end) - base) // u, span)
            if b > a:
                capdiff[a] += step.patients
                capdiff[b] -= step.patients
        conc = self.conc = list(accumulate(diff))
        cap = self.cap = list(accumulate(capdiff))
        self.prefix = [0, *accumulate(conc)]
        self.peak = max(conc[:span]) if span else 0
        # Units with no room for one more patient, as a bitset built at C speed: one byte
        # per unit ("1" = full), reversed so unit 0 is the lowest bit.
        limit = cap if max(cap, default=0) <= n_chairs else [min(c, n_chairs) for c in cap]
        flags = bytes(map(ge, conc[:span], limit[:span])).translate(_BITCHARS)
        self.full = int(flags[::-1], 2) if flags else 0

    def with_session(self, cd: ClinicDay, chair_id: int, s: int, e: int, tz: tzinfo) -> DayGrid:
        """Return this day with one more session booked (for planning series)."""
        return DayGrid(cd, [*self.sessions, (chair_id, s, e)], self.n_chairs, tz, self.u)

    def starts_mask(self, w: int) -> int:
        """Return grid starts where `w` units fit the hours and nurse capacity."""
        if w > self.span:
            return 0
        latest = min(self.start_limit, self.span - w)
        return self.grid & ((1 << (latest + 1)) - 1) & ~_dilate(self.full, w)

    def chair_masks(self, minutes: int, chair_ids: Iterable[int]) -> dict[int, int]:
        """Return, per chair, the grid starts where the chair and nurses are free."""
        w = minutes // self.u
        ok = self.starts_mask(w)
        if not ok:
            return {}
        out = {}
        busy = self.busy
        for cid in chair_ids:
            m = ok & ~_dilate(busy[cid], w) if cid in busy else ok
            if m:
                out[cid] = m
        return out

    def measure(self, i: int, minutes: int) -> tuple[int, int]:
        """Return (highest concurrency, concurrency × minutes) over a session at unit i."""
        w = minutes // self.u
        return max(self.conc[i : i + w]), (self.prefix[i + w] - self.prefix[i]) * self.u

    def fit_gap(self, chair_id: int, i: int, minutes: int) -> int:
        """Return idle units left around the session on the chair (0 = a tight fit)."""
        w = minutes // self.u
        busy = self.busy.get(chair_id, 0)
        prev_end = (busy & ((1 << i) - 1)).bit_length()
        after = busy >> (i + w)
        next_start = i + w + ((after & -after).bit_length() - 1) if after else self.span
        return (i - prev_end) + (next_start - i - w)

    def minute_of(self, i: int) -> int:
        """Return the epoch minute of unit i."""
        return self.base + i * self.u

    def option(self, chair_id: int, i: int, minutes: int, tz: tzinfo) -> Option:
        """Return the Option for a start at unit i on this chair."""
        w = minutes // self.u
        start = self.minute_of(i)
        return Option(
            start=(_EPOCH + start * _MINUTE).astimezone(tz),
            end=(_EPOCH + (start + minutes) * _MINUTE).astimezone(tz),
            chair_id=chair_id,
            day=self.day,
            peak=max(self.conc[i : i + w]) + 1,
            capacity_left=min(self.cap[t] - self.conc[t] for t in range(i, i + w)) - 1,
        )


def _pod_miss(part_of_day: str, local_minute: int) -> int:
    if part_of_day == "morning":
        return int(local_minute >= NOON)
    if part_of_day == "afternoon":
        return int(local_minute < NOON)
    return 0


class Engine:
    """The days of a search, built once, plus the ranking shared by single and series."""

    def __init__(
        self,
        days: Sequence[ClinicDay],
        chairs: Sequence[Chair],
        booked: Sequence[Booked],
        tz: tzinfo,
        lo: date,
        hi: date,
        minutes: Iterable[int],
    ) -> None:
        self.tz = tz
        self.chairs = sorted(chairs, key=lambda c: c.id)
        self.kind = {c.id: c.kind for c in self.chairs}
        self.cdays = sorted((d for d in days if lo <= d.day <= hi), key=lambda d: d.opens)
        spans = [(_to_min(d.opens, ceil=True), _to_min(d.closes)) for d in self.cdays]
        per_day: list[list[tuple[int, int, int]]] = [[] for _ in self.cdays]
        if spans:
            lo_m, hi_m = spans[0][0], spans[-1][1]
            starts = [s for s, _ in spans]
            n_days = len(spans)
            odd: list[int] = []  # session edges off the quarter hour (they shrink the unit)
            epoch = _EPOCH
            # The hot loop of a search (every session of the weeks searched): _to_min inlined.
            for b in booked:
                t = b.start - epoch
                s = t.days * 1440 + t.seconds // 60
                if s >= hi_m:
                    continue
                t = b.end - epoch
                e = t.days * 1440 + t.seconds // 60
                if t.seconds % 60 or t.microseconds:
                    e += 1
                if e <= lo_m:
                    continue
                if s % GRID_MINUTES or e % GRID_MINUTES:
                    odd += (s, e)
                k = bisect_right(starts, s) - 1
                if k < 0:
                    k = 0
                while k < n_days and spans[k][0] < e:
                    if spans[k][1] > s:
                        per_day[k].append((b.chair_id, s, e))
                    k += 1
        # The coarsest unit that keeps every edge exact (see DayGrid).
        edges = [GRID_MINUTES, *minutes, *(m for span in spans for m in span)]
        for d in self.cdays:
            edges.append(_to_min(d.last_start))
            for step in d.capacity:
                edges += (_to_min(step.start, ceil=True), _to_min(step.end))
        if spans:
            edges += odd
        u = gcd(*edges)
        n = len(self.chairs)
        self.days = [DayGrid(cd, per_day[k], n, tz, u) for k, cd in enumerate(self.cdays)]
        self.index = {d.day: k for k, d in enumerate(self.cdays)}

    def allowed(self, kinds: frozenset[str]) -> list[int]:
        return [c.id for c in self.chairs if not kinds or c.kind in kinds]

    def key(
        self,
        day: DayGrid,
        i: int,
        minutes: int,
        *,
        ranking: str,
        part_of_day: str,
        anchor: int | None = None,
    ) -> tuple:
        """Return the sort key of a start (lower is better)."""
        lm = day.local[i]
        if ranking == "first_fit":
            return (day.day, i)
        wmax, wsum = day.measure(i, minutes)
        new_peak = max(day.peak, wmax + 1)
        if minutes >= LONG_MINUTES:
            # Long sessions go early: later in the day they no longer fit.
            place: tuple[int, ...] = ((i * day.u) // 60,)
        else:
            # Short ones fill the emptiest gaps, first where a long session could no longer
            # start (the last hours), then earliest: the mornings stay free for long ones.
            long_could_start = int(i <= day.span - LONG_MINUTES // day.u)
            place = (wsum // minutes, long_could_start, i)
        same_time = abs(lm - anchor) // GRID_MINUTES if anchor is not None else 0
        return (_pod_miss(part_of_day, lm), new_peak, same_time, wmax, place, day.day, i)

    def best_chair(
        self, day: DayGrid, i: int, minutes: int, chairs: list[int], ranking: str
    ) -> int:
        if ranking == "first_fit":
            return chairs[0]
        # Keep beds and recliners for patients who need them, then fit tightly.
        return min(
            chairs,
            key=lambda c: (self.kind[c] != "chair", day.fit_gap(c, i, minutes), c),
        )

    def ranked_singles(
        self,
        minutes: int,
        lo: date,
        hi: date,
        kinds: frozenset[str],
        part_of_day: str,
        ranking: str,
        anchor: int | None = None,
    ) -> list[tuple[tuple, int, int, dict[int, int]]]:
        """Return (key, day index, start offset, chair masks) for every feasible start."""
        allowed = self.allowed(kinds)
        out = []
        for k, day in enumerate(self.days):
            if not lo <= day.day <= hi:
                continue
            masks = day.chair_masks(minutes, allowed)
            union = 0
            for m in masks.values():
                union |= m
            while union:
                low = union & -union
                i = low.bit_length() - 1
                union ^= low
                key = self.key(
                    day, i, minutes, ranking=ranking, part_of_day=part_of_day, anchor=anchor
                )
                out.append((key, k, i, masks))
        out.sort(key=lambda r: r[0])
        return out


def find_options(
    *,
    days: Sequence[ClinicDay],
    chairs: Sequence[Chair],
    booked: Sequence[Booked],
    request: SlotRequest,
    tz: tzinfo,
    limit: int = 10,
    ranking: str = "level",
) -> list[Option]:
    """Return up to `limit` feasible options, best first, one per distinct start.

    Feasible = on the 15-min local grid, opens <= start <= last_start, end <= closes, chair
    free for [start, end) (half-open), chair kind allowed, and at every instant of
    [start, end) concurrency + 1 <= nurse capacity and <= number of chairs.
    ranking="level": part_of_day first, then the lowest resulting day peak, then the lowest
    concurrency inside the session, then (among the best RERANK starts) the tightest fit on
    a chair, then long sessions early and short ones in the emptiest gaps (first in the last
    hours, where a long session could no longer start), earlier date first among equals;
    chairs: plain chairs before beds/recliners (when any kind will do), then the tightest
    fit. ranking="first_fit": earliest start, lowest chair id. Empty list means nothing fits.
    """
    if request.minutes <= 0 or limit <= 0:
        return []
    eng = Engine(days, chairs, booked, tz, request.earliest, request.latest, [request.minutes])
    ranked = eng.ranked_singles(
        request.minutes,
        request.earliest,
        request.latest,
        request.chair_kinds,
        request.part_of_day,
        ranking,
    )
    allowed = eng.allowed(request.chair_kinds)
    picked = []
    # Re-rank the front runners by how tightly they fit a chair (idle gaps left behind are
    # chair time nobody can use later); the rest of the list can't reach the top `limit`.
    for key, k, i, masks in ranked[: max(limit, RERANK) if ranking == "level" else limit]:
        day = eng.days[k]
        free = [c for c in allowed if masks.get(c, 0) >> i & 1]
        chair = eng.best_chair(day, i, request.minutes, free, ranking)
        fit = day.fit_gap(chair, i, request.minutes) * day.u if ranking == "level" else 0
        picked.append(((*key[:4], fit, *key[4:]), k, i, chair))
    picked.sort(key=lambda r: r[0])
    return [eng.days[k].option(chair, i, request.minutes, tz) for _, k, i, chair in picked[:limit]]
