"""Signals other apps listen to (scheduling creates a treatment course on acceptance)."""

from django.dispatch import Signal

# Sent inside the accepting transaction with `referral` and `by`; a receiver that raises
# rolls the acceptance back.
referral_accepted = Signal()
