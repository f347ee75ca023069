"""The options editor's row forms are freed when the page is rendered, not left to the garbage collector."""

import gc

from django.urls import reverse

from applications.forms import OptionRowForm
from applications.models import Option


def test_the_editor_of_200_options_leaves_no_row_form_for_the_collector(env, client_as):
    Option.objects.bulk_create(Option(application=env.node, section=f"s{i // 20}", name=f"o{i}", value=str(i))
                               for i in range(200))
    client = client_as("operator")
    url = reverse("applications:options_edit", args=[env.node.pk])
    client.get(url)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        response = client.get(url)
        status, fields = response.status_code, response.content.count(b'name="form-')
        del response  # the test client keeps the template context on the response
        gc.collect()
        left = sum(1 for o in gc.garbage if type(o) is OptionRowForm)  # type(): lazy objects stay lazy
    finally:
        gc.set_debug(0)
        gc.garbage.clear()

    assert status == 200 and fields > 400  # a page of 100 rows (applications.limits.EDITOR_PAGE_ROWS)
    assert left == 0
