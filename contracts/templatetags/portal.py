"""Template tags of the portal: navigation that tolerates pages not built yet, sortable headers.

``{% nav_link "url-name" label %}`` renders one ``<li>`` with a link, marked current when the
request is on that page (or below it), and renders nothing at all when the URL name does not
resolve, so the navigation can name pages that later issues add.
"""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, url_name: str, label: str, *args: Any) -> str:
    try:
        url = reverse(url_name, args=args or None)
    except NoReverseMatch:
        return ""
    request = context.get("request")
    path = getattr(request, "path", "")
    # A role's home is current only on that exact page; a section also on the pages below it.
    current = path == url or (not url_name.startswith("home") and path.startswith(url))
    if current:
        return format_html(
            '<li><a class="nav-link is-current" href="{}" aria-current="page">{}</a></li>',
            url,
            label,
        )
    return format_html('<li><a class="nav-link" href="{}">{}</a></li>', url, label)


@register.simple_tag
def url_if_exists(url_name: str, *args: Any) -> str:
    """The URL of a name, or "" when it does not resolve (``{% url_if_exists "x" as u %}``)."""
    try:
        return reverse(url_name, args=args or None)
    except NoReverseMatch:
        return ""


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
