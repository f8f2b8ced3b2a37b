"""Helpers of the billing pages: permission checks, error text, the billing message."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts.numbers import ascii_id
from invoicing.services import BillingResult


def require(request: HttpRequest, *perms: str) -> None:
    """403 unless the user holds every permission."""
    if not request.user.has_perms(perms):
        raise PermissionDenied


def unsaved_changes(form: Any) -> list[str]:
    """The labels of the fields whose submitted value differs from the page's initial one.

    *Post* and *Confirm* submit the page's edit form with them (``form="…"`` on the button), so
    the view can refuse, rather than silently drop, what was typed and not saved. Only fields
    present in the submission count."""
    return [
        str(form.fields[name].label)
        for name in form.changed_data
        if form.add_prefix(name) in form.data and not form.fields[name].widget.is_hidden
    ]


def changed_since_opened(request: HttpRequest, invoice: Any) -> bool:
    """The page's ``version`` is not the invoice's: someone else (or a journal edit) changed
    it since the page was opened."""
    raw = request.POST.get("version", "")
    version = ascii_id(raw)
    return version is not None and version != invoice.version


def reload_message(invoice: Any) -> str:
    return _(
        "Invoice %(ref)s was changed since you opened it (by someone else, or by a journal "
        "edit): reload the page to see what changed. Nothing was done."
    ) % {"ref": invoice}


def billing_message(result: BillingResult) -> str:
    """ "3 invoices created with 12 items" (drafts joined count as created or extended)."""
    if not result.items:
        return _("Nothing was ready to invoice: no invoice was created.")
    invoices = ngettext(
        "%(n)d invoice created with %(items)s",
        "%(n)d invoices created with %(items)s",
        len(result.invoice_ids),
    )
    items = ngettext("%(n)d item", "%(n)d items", result.items) % {"n": result.items}
    return invoices % {"n": len(result.invoice_ids), "items": items}
