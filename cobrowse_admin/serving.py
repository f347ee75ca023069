"""What a serving process loads once, before its first request, and keeps out of the garbage collector.

A worker keeps its URL patterns and compiled templates for as long as it lives. Loaded lazily, by its
first requests, they were 30,000 objects the garbage collector's full passes went through again and
again: a full pass in the middle of a request (one in twenty on the connection review at 5,000
applications) cost it 20-35 ms. Loaded here and frozen (``gc.freeze``), a full pass reads only what
requests made since. ``cobrowse_admin/wsgi.py`` calls ``prepare_worker`` once per process; the page
benchmark calls it too, so that it measures what a worker does.
"""

import gc
from pathlib import Path

from django.template import engines
from django.urls import get_resolver

TEMPLATE_SUFFIXES = (".html", ".txt")


def template_names() -> list[str]:
    """Every template of the project and of the installed applications (each name once: the first
    directory that has it is the one Django's loaders read)."""
    names: dict[str, None] = {}
    for directory in engines["django"].template_dirs:
        root = Path(directory)
        for path in sorted(root.rglob("*")):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
                names.setdefault(path.relative_to(root).as_posix(), None)
    return list(names)


def load_templates() -> None:
    """Compile every template into the cached loader."""
    engine = engines["django"]
    for name in template_names():
        engine.get_template(name)


def prepare_worker() -> None:
    """URL patterns and templates loaded, then everything the process holds frozen out of the
    collector's passes (what is loaded by now lives as long as the process)."""
    get_resolver().reverse_dict  # noqa: B018 (read for its effect: the patterns are loaded and indexed)
    load_templates()
    gc.collect()
    gc.freeze()
