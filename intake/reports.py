"""Urgent-flag and referral reports: aggregate queries, percentiles in the database.

Urgent flags count in the period they were raised; "escalated" means the escalation job
sent them on at least once (not acknowledged in time). Referrals count in the period they
were received; days to accepted run to the transition into Accepted, days to first infusion
to the first visit of the course the referral became that reached the chair.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from clinic.aggregates import PercentileCont
from clinic.reports import Chart, Period, Section, Series, Table, days, minutes, percent
from intake.models import Flag, FlagLevel, Referral, ReferralStatus, ReferralTransition
from scheduling.models import Session, SessionStatus

# --- Urgent flags -------------------------------------------------------------------------------

_TO_ACK = ExpressionWrapper(F("acknowledged_at") - F("raised_at"), output_field=DurationField())
_ACKED = Q(acknowledged_at__isnull=False)
# Time-to-acknowledge buckets: (label, upper bound or None for "longer").
ACK_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("≤ 5 min", timedelta(minutes=5)),
    ("5–15 min", timedelta(minutes=15)),
    ("15–30 min", timedelta(minutes=30)),
    ("30–60 min", timedelta(hours=1)),
    ("1–4 h", timedelta(hours=4)),
    ("> 4 h", None),
]


def _urgent(period: Period) -> QuerySet[Flag]:
    return Flag.objects.filter(
        level=FlagLevel.URGENT, raised_at__gte=period.start, raised_at__lt=period.end
    ).order_by()


def _flag_figures() -> dict:
    return {
        "raised": Count("id"),
        "acknowledged": Count("id", filter=_ACKED),
        "escalated": Count("id", filter=Q(escalation_level__gte=1)),
        "median": PercentileCont(_TO_ACK, 0.5, filter=_ACKED),
        "p90": PercentileCont(_TO_ACK, 0.9, filter=_ACKED),
    }


def _bucket_counts() -> dict:
    counts = {}
    lower: timedelta | None = None
    for index, (_label, upper) in enumerate(ACK_BUCKETS):
        within = _ACKED
        if lower is not None:
            within &= Q(acknowledged_at__gt=F("raised_at") + lower)
        if upper is not None:
            within &= Q(acknowledged_at__lte=F("raised_at") + upper)
        counts[f"b{index}"] = Count("id", filter=within)
        lower = upper
    return counts


def _flag_row(label: str, row: dict) -> tuple:
    return (
        label,
        row["raised"],
        row["acknowledged"],
        row["escalated"],
        row["raised"] - row["acknowledged"],
        minutes(row["median"]),
        minutes(row["p90"]),
    )


def flags_tables(period: Period) -> tuple[Table, Table, Table]:
    overall = _urgent(period).aggregate(**_flag_figures(), **_bucket_counts())
    rules = (
        _urgent(period)
        .values("rule")
        .annotate(rule_label=Min("label"), **_flag_figures())
        .order_by("rule")
    )
    columns = (
        "Raised",
        "Acknowledged",
        "Escalated",
        "Still open",
        "Median minutes to acknowledge",
        "90th percentile minutes",
    )
    return (
        Table("overall", "Urgent flags", ("", *columns), [_flag_row("All urgent flags", overall)]),
        Table(
            "by-rule",
            "Urgent flags by rule",
            ("Rule", *columns),
            [_flag_row(r["rule_label"], r) for r in rules],
        ),
        Table(
            "time-to-acknowledge",
            "Time to acknowledge",
            ("Acknowledged within", "Flags", "% of acknowledged"),
            [
                (
                    label,
                    overall[f"b{index}"],
                    percent(overall[f"b{index}"], overall["acknowledged"]),
                )
                for index, (label, _upper) in enumerate(ACK_BUCKETS)
            ],
        ),
    )


def flags_report(period: Period) -> list[Section]:
    overall, rules, spread = flags_tables(period)
    row = overall.rows[0]
    if row[1]:
        median = f"{row[5]:.0f} min" if row[5] is not None else "–"
        p90 = f"{row[6]:.0f} min" if row[6] is not None else "–"
        caption = (
            f"{row[1]} urgent flags raised, {row[2]} acknowledged (median {median}, 90th "
            f"percentile {p90}), {row[3]} escalated, {row[4]} still open."
        )
    else:
        caption = "No urgent flags were raised in this period."
    return [
        Section(
            "Time to acknowledge",
            caption,
            spread,
            Chart(
                [r[0] for r in spread.rows],
                [Series("Flags", [r[1] for r in spread.rows])],
                "Urgent flags",
                "Bar chart of how many urgent flags were acknowledged within each time band.",
            ),
        ),
        Section(
            "By rule",
            _slowest_rule(rules),
            rules,
            Chart(
                [str(r[0]) for r in rules.rows],
                [
                    Series("Median minutes", [r[5] for r in rules.rows]),
                    Series("90th percentile minutes", [r[6] for r in rules.rows]),
                ],
                "Minutes to acknowledge",
                "Horizontal bar chart of the median and 90th percentile minutes to "
                "acknowledge, by flag rule.",
                horizontal=True,
            ),
        ),
        Section("All urgent flags", caption, overall),
    ]


def _slowest_rule(table: Table) -> str:
    timed = [r for r in table.rows if r[5] is not None]
    if not timed:
        return "No urgent flag was acknowledged in this period."
    slowest = max(timed, key=lambda r: r[5])
    return f"Slowest to acknowledge: {slowest[0]} (median {slowest[5]:.0f} min)."


# --- Referrals ----------------------------------------------------------------------------------

# Referral outcome buckets for "days from received to accepted".
DAY_BUCKETS: list[tuple[str, int | None]] = [
    ("≤ 7 days", 7),
    ("8–14 days", 14),
    ("15–28 days", 28),
    ("29–56 days", 56),
    ("> 56 days", None),
]
_INFUSED = (SessionStatus.IN_CHAIR, SessionStatus.COMPLETED)


def _received(period: Period) -> QuerySet[Referral]:
    accepted_at = (
        ReferralTransition.objects.filter(
            referral=OuterRef("pk"), to_status=ReferralStatus.ACCEPTED
        )
        .order_by("at")
        .values("at")[:1]
    )
    first_infusion = (
        Session.objects.filter(course__referral=OuterRef("pk"), status__in=_INFUSED)
        .order_by("start")
        .values("start")[:1]
    )
    return (
        Referral.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
        .order_by()
        .annotate(accepted_at=Subquery(accepted_at), infused_at=Subquery(first_infusion))
    )


_TO_ACCEPT = ExpressionWrapper(F("accepted_at") - F("received_at"), output_field=DurationField())
_TO_INFUSE = ExpressionWrapper(F("infused_at") - F("received_at"), output_field=DurationField())


def _referral_figures() -> dict:
    return {
        "received": Count("id"),
        "accepted": Count("id", filter=Q(status=ReferralStatus.ACCEPTED)),
        "declined": Count("id", filter=Q(status=ReferralStatus.DECLINED)),
        "withdrawn": Count("id", filter=Q(status=ReferralStatus.WITHDRAWN)),
        "accept_median": PercentileCont(_TO_ACCEPT, 0.5),
        "accept_p90": PercentileCont(_TO_ACCEPT, 0.9),
        "infuse_median": PercentileCont(_TO_INFUSE, 0.5),
        "infuse_p90": PercentileCont(_TO_INFUSE, 0.9),
    }


def _referral_row(label: str, row: dict) -> tuple:
    decided = row["accepted"] + row["declined"] + row["withdrawn"]
    return (
        label,
        row["received"],
        row["accepted"],
        row["declined"],
        row["withdrawn"],
        row["received"] - decided,
        days(row["accept_median"]),
        days(row["accept_p90"]),
        days(row["infuse_median"]),
        days(row["infuse_p90"]),
    )


_REFERRAL_COLUMNS = (
    "Received",
    "Accepted",
    "Declined",
    "Withdrawn",
    "Still open",
    "Median days to accepted",
    "90th percentile days to accepted",
    "Median days to first infusion",
    "90th percentile days to first infusion",
)


def _day_buckets() -> dict:
    counts = {}
    lower: int | None = None
    for index, (_label, upper) in enumerate(DAY_BUCKETS):
        within = Q(accepted_at__isnull=False)
        if lower is not None:
            within &= Q(accepted_at__gt=F("received_at") + timedelta(days=lower))
        if upper is not None:
            within &= Q(accepted_at__lte=F("received_at") + timedelta(days=upper))
        counts[f"b{index}"] = Count("id", filter=within)
        lower = upper
    return counts


def referrals_tables(period: Period) -> tuple[Table, Table, Table]:
    overall = _received(period).aggregate(**_referral_figures(), **_day_buckets())
    therapies = (
        _received(period)
        .values("therapy__name")
        .annotate(**_referral_figures())
        .order_by("therapy__name")
    )
    with_accepted = sum(overall[f"b{i}"] for i in range(len(DAY_BUCKETS)))
    return (
        Table(
            "overall",
            "Referrals received",
            ("", *_REFERRAL_COLUMNS),
            [_referral_row("All referrals", overall)],
        ),
        Table(
            "by-therapy",
            "Referrals by ordered therapy",
            ("Therapy", *_REFERRAL_COLUMNS),
            [_referral_row(r["therapy__name"], r) for r in therapies],
        ),
        Table(
            "days-to-accepted",
            "Days from received to accepted",
            ("Accepted within", "Referrals", "% of accepted"),
            [
                (label, overall[f"b{index}"], percent(overall[f"b{index}"], with_accepted))
                for index, (label, _upper) in enumerate(DAY_BUCKETS)
            ],
        ),
    )


def referrals_report(period: Period) -> list[Section]:
    overall, therapies, spread = referrals_tables(period)
    row = overall.rows[0]
    if row[1]:
        caption = (
            f"{row[1]} referrals received: {row[2]} accepted, {row[3]} declined, "
            f"{row[4]} withdrawn, {row[5]} still open. Median {_d(row[6])} to accepted, "
            f"{_d(row[8])} to first infusion."
        )
    else:
        caption = "No referrals were received in this period."
    return [
        Section(
            "Received and decided",
            caption,
            overall,
            Chart(
                [r[0] for r in therapies.rows],
                [
                    Series("Accepted", [r[2] for r in therapies.rows]),
                    Series("Declined", [r[3] for r in therapies.rows]),
                    Series("Withdrawn", [r[4] for r in therapies.rows]),
                    Series("Still open", [r[5] for r in therapies.rows]),
                ],
                "Referrals",
                "Stacked horizontal bar chart of referrals by ordered therapy: accepted, "
                "declined, withdrawn and still open.",
                stacked=True,
                horizontal=True,
            ),
        ),
        Section(
            "Days to accepted",
            _within_two_weeks(spread),
            spread,
            Chart(
                [r[0] for r in spread.rows],
                [Series("Referrals", [r[1] for r in spread.rows])],
                "Accepted referrals",
                "Bar chart of accepted referrals by days from received to accepted.",
            ),
        ),
        Section(
            "By ordered therapy",
            caption,
            therapies,
            note="Days to first infusion: to the first visit of the referral's course that "
            "reached the chair.",
        ),
    ]


def _within_two_weeks(spread: Table) -> str:
    accepted = sum(r[1] for r in spread.rows)
    if not accepted:
        return "No referral received in this period has been accepted yet."
    share = percent(spread.rows[0][1] + spread.rows[1][1], accepted) or 0
    return f"{share:.0f} % of the {accepted} accepted referrals were accepted within 14 days."


def _d(value: float | None) -> str:
    return f"{value:.0f} days" if value is not None else "–"
