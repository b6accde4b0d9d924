"""Admin pieces every app uses, and the registry of inlines other apps add to the patient page.

- `AccessLoggedAdmin`: every opening of a record's page is written to the access log.
- `ReadOnlyAdminMixin` / `ReadOnlyHistoryAdmin` / `ReadOnlyInline` / `NoAddInline`: records
  that services write and staff only read.
- `AdminPagesMixin`: an admin's own pages (`admin_page`) and the "pick an option, then
  confirm" flow (`pick_then_confirm`) that every booking, move and status page follows.
- `patient_inline`: the patient page (`clinic.admin.PatientAdmin`) shows what other apps know
  about a patient without `clinic` importing them: each app registers its inlines here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from clinic.audit import access_log


class AccessLoggedAdmin(admin.ModelAdmin):
    """Write one access-log row each time a record's page is shown to someone (GET)."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None:
            # The same test Django makes before it shows the page: a refusal is no opening.
            if request.method == "GET" and self.has_view_or_change_permission(request, obj):
                access_log(request, obj)
            extra_context = {**(extra_context or {}), **self.change_view_context(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def change_view_context(self, request: HttpRequest, obj: models.Model) -> dict[str, Any]:
        """Return what the change page of `obj` adds to its template context."""
        return {}


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows in the admin: services write them."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """A read-only admin that keeps the record's History page."""


class NoAddInline(admin.TabularInline):
    """Rows a service writes, listed on their parent's page: never added or deleted there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, NoAddInline):
    """Rows listed on their parent's page that nobody edits there either."""


class AdminPagesMixin(admin.ModelAdmin):
    """An admin's own pages, drawn inside the admin's frame."""

    def admin_page(
        self, request: HttpRequest, template: str, *, title: str, **context: Any
    ) -> TemplateResponse:
        """Render `template` with the admin's context, the model's options and `title`."""
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                **context,
            },
        )

    def pick_then_confirm(
        self,
        request: HttpRequest,
        *,
        form: forms.Form,
        confirm: Callable[[], bool],
        done_url: str,
        template: str,
        title: str,
        **context: Any,
    ) -> HttpResponse:
        """Offer the form's options; a valid POST runs `confirm`, then goes to `done_url`.

        `confirm` calls the service with the cleaned form and tells the user what happened
        (`message_user`); it returns False to show the page again (a refusal to pick again).
        """
        if request.method == "POST" and form.is_valid() and confirm():
            return HttpResponseRedirect(done_url)
        return self.admin_page(request, template, title=title, form=form, **context)


_patient_inlines: list[tuple[int, type[InlineModelAdmin]]] = []


def patient_inline(order: int) -> Callable[[type[InlineModelAdmin]], type[InlineModelAdmin]]:
    """Register an inline for the patient page; lower `order` shows first."""

    def register(inline: type[InlineModelAdmin]) -> type[InlineModelAdmin]:
        _patient_inlines.append((order, inline))
        _patient_inlines.sort(key=lambda item: item[0])
        return inline

    return register


def patient_inlines() -> list[type[InlineModelAdmin]]:
    """Return the inlines registered for the patient page, in order."""
    return [inline for _, inline in _patient_inlines]
