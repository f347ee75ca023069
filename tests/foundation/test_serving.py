"""A serving process loads its URL patterns and every template before its first request, then freezes what
it holds out of the garbage collector's passes (``cobrowse_admin.serving``, called by ``wsgi.py``)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cobrowse_admin.serving import template_names

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: importing wsgi.py freezes that process's objects for good.
AFTER_WSGI = """
import gc, json
import cobrowse_admin.wsgi
from django.template import engines
from django.urls import get_resolver
from cobrowse_admin.serving import template_names

loader = engines["django"].engine.template_loaders[0]
cached_before = len(loader.get_template_cache)
for name in template_names():
    engines["django"].get_template(name)
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "young": len(gc.get_objects()),
    "templates": len(template_names()),
    "cached_before": cached_before,
    "cached_after": len(loader.get_template_cache),
    "patterns_loaded": bool(get_resolver()._populated),
}))
"""


def test_the_wsgi_entry_point_loads_every_template_and_the_url_patterns_then_freezes_them():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", AFTER_WSGI], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])

    assert figures["patterns_loaded"]
    # Every template compiled before the first request: reading them all again compiles none.
    assert figures["templates"] > 150
    assert figures["cached_before"] == figures["cached_after"] >= figures["templates"]
    # What is loaded is frozen: the collector's passes see only what was made since.
    assert figures["frozen"] > 100_000 and figures["young"] < figures["frozen"] / 20


def test_the_templates_are_those_of_the_project_and_of_the_installed_applications():
    names = template_names()
    assert len(names) == len(set(names))
    for name in ("base.html", "security/review.html", "bootstrap5/field.html", "registration/login.html"):
        assert name in names
