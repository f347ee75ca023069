"""The top navigation: each item marks itself as the current page's section (``aria-current="page"``).

The section of a page comes from its URL name (``request.resolver_match``): ``SECTIONS`` maps URL
names to the navigation item they belong under (an application's Security and setenv tabs live in
the security app but belong under Applications). A page named in no rule belongs to the item whose
address starts its own, so a new item with its pages under its own address needs no rule.
"""

from fnmatch import fnmatchcase

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()

# (patterns of "namespace:url_name", the navigation item's URL name); the first match wins.
SECTIONS: list[tuple[tuple[str, ...], str]] = [
    (("applications:host_*",), "applications:host_list"),
    (("applications:audit",), "applications:audit"),
    (("applications:user_*",), "applications:user_list"),
    (("applications:*", "security:section*", "security:setenv*"), "applications:list"),
    (("security:certificate_*",), "security:certificate_list"),
    (("security:store_*",), "security:store_list"),
    (("security:review*", "security:probe", "security:sweep_*"), "security:review"),
]


def section_of(view_name: str) -> str | None:
    for patterns, item in SECTIONS:
        if any(fnmatchcase(view_name, pattern) for pattern in patterns):
            return item
    return None


def is_current(request, url_name: str, href: str) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    section = section_of(match.view_name)
    if section is not None:
        return section == url_name
    return href != "/" and request.path.startswith(href)


@register.simple_tag(takes_context=True)
def nav_item(context, url_name: str, label: str) -> str:
    """``<li>`` of the navigation bar linking to ``url_name``, marked when the page is in its section;
    nothing when the URL is not installed."""
    try:
        href = reverse(url_name)
    except NoReverseMatch:
        return ""
    if is_current(context.get("request"), url_name, href):
        return format_html('<li class="nav-item"><a class="nav-link active" aria-current="page" href="{}">{}</a></li>',
                           href, label)
    return format_html('<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>', href, label)
