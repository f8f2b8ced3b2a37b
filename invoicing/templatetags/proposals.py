"""Template tags of the posting pages: how many invoice proposals wait (the accountant's home)."""

from typing import Any

from django import template

from invoicing.filters import invoices_visible_to
from invoicing.models import InvoiceStatus

register = template.Library()


@register.simple_tag(takes_context=True)
def proposals_waiting(context: template.Context) -> int:
    """Confirmed invoices the signed-in user may see, waiting to be posted."""
    request: Any = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return invoices_visible_to(user).filter(status=InvoiceStatus.CONFIRMED).count()
