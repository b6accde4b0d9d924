"""Sign-in lockouts (django-axes) in the staff admin, with an action to unlock early.

django-axes registers its own AccessAttempt admin; this replaces it with one that adds an
"unlock" action going through axes' own reset helper, so the cache and database handlers
both forget the failures. Imported from `ClinicConfig.ready`, after admin autodiscovery.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest


class LockoutAdmin(AccessAttemptAdmin):
    actions = [*AccessAttemptAdmin.actions, "unlock"]

    @admin.action(description="Unlock the selected accounts and addresses")
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        pairs = set(queryset.values_list("username", "ip_address"))
        removed = 0
        for username, ip_address in pairs:
            if username:
                removed += reset(username=username)
            if ip_address:
                removed += reset(ip=ip_address)
        self.message_user(
            request,
            f"Unlocked {len(pairs)} sign-in record(s); {removed} failed attempt(s) cleared.",
            messages.SUCCESS,
        )


def register(site: admin.AdminSite = admin.site) -> None:
    if site.is_registered(AccessAttempt):
        site.unregister(AccessAttempt)
    site.register(AccessAttempt, LockoutAdmin)


register()
