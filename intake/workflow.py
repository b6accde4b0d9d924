"""The referral status workflow as data: which move is allowed from where."""

from __future__ import annotations

from intake.models import OPEN_STATUSES
from intake.models import ReferralStatus as S

_FORWARD: dict[str, list[str]] = {
    S.RECEIVED: [S.IN_REVIEW],
    S.IN_REVIEW: [S.NEEDS_INFO, S.BENEFITS_CHECK],
    S.NEEDS_INFO: [S.IN_REVIEW],
    # DOMAIN.md 3: benefits check -> prior authorisation -> accepted. Where the payer needs
    # none, the move to prior authorisation records that ("not required") as its reason.
    S.BENEFITS_CHECK: [S.PRIOR_AUTH, S.NEEDS_INFO],
    S.PRIOR_AUTH: [S.ACCEPTED, S.NEEDS_INFO],
    S.ACCEPTED: [],
    S.DECLINED: [],
    S.WITHDRAWN: [],
}

# Moves that must say why: every one (who, when and why, DOMAIN.md 3).
NOTE_REQUIRED = set(S.values)


def allowed_targets(status: str) -> list[str]:
    """Return the statuses a referral in `status` may move to, in display order."""
    targets = list(_FORWARD.get(status, []))
    if status in OPEN_STATUSES:
        targets += [S.DECLINED, S.WITHDRAWN]
    return targets


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in allowed_targets(from_status)
