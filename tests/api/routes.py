"""Every URL pattern of the project, with a path to request it by (made-up ids: a refusal comes
before the object is looked up, and a permitted request then answers 404, never 401/403)."""

import re

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter
from django.urls.resolvers import RoutePattern

SAMPLE = {IntConverter: "999999", SlugConverter: "no-such-topic", StringConverter: "csv", PathConverter: "x"}


def sample_group(match: re.Match) -> str:
    """A value for a regex group: an id for digits, the first of a set of words."""
    pattern = match.group(1)
    if "|" in pattern:
        return pattern.split("|")[0]
    return "999999" if pattern.startswith(("\\d", "[0-9]")) else "x"


def url_patterns(patterns=None, namespace: str = "", prefix: str = ""):
    """(view name, path with sample arguments) of every pattern."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if isinstance(entry.pattern, RoutePattern):
            for name, converter in entry.pattern.converters.items():
                sample = SAMPLE.get(type(converter)) or ("999999" if re.fullmatch(converter.regex, "999999") else "x")
                route = re.sub(rf"<(?:\w+:)?{name}>", sample, route)
        else:  # a regex (DRF's router): its groups get a made-up id, its ^ and $ go
            route = re.sub(r"\(\?P<[^>]+>([^)]*)\)", sample_group, route).strip("^$").replace("\\.", ".")
            route = re.sub(r"\(\?P<format>.*", "", route)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, inner, prefix + route)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", "/" + prefix + route
