"""The review's links are built from one reversed pattern per page: the same URLs reverse() gives."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from applications.links import url_for_ids

NAMES = ["applications:connections", "applications:detail", "security:probe"]


@pytest.mark.parametrize("prefix", ["/", "/console/"])
def test_links_are_what_reverse_gives(prefix):
    set_script_prefix(prefix)
    try:
        for name in NAMES:
            link = url_for_ids(name)
            for pk in (1, 7, 987654321, 10**12):
                assert link(pk) == reverse(name, args=[pk])
    finally:
        clear_script_prefix()
