"""The options editor's row forms (a refused save's; a GET builds none) are freed when the page is rendered,
not left to the garbage collector."""

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
        get_status, get_fields = response.status_code, response.content.count(b'name="form-')
        del response
        # A refused save (a stale revision) renders the rows from their forms, as typed.
        posted = {"revision": "-1", "form-TOTAL_FORMS": "100", "form-INITIAL_FORMS": "100"}
        for i in range(100):
            posted.update({f"form-{i}-section": f"s{i // 20}", f"form-{i}-name": f"o{i}",
                           f"form-{i}-value": f"typed {i}", f"form-{i}-existing": "True"})
        response = client.post(url, posted)
        status, fields = response.status_code, response.content.count(b'name="form-')
        response_content = response.content
        del response  # the test client keeps the template context on the response
        gc.collect()
        left = sum(1 for o in gc.garbage if type(o) is OptionRowForm)  # type(): lazy objects stay lazy
    finally:
        gc.set_debug(0)
        gc.garbage.clear()

    assert get_status == 200 and get_fields > 400  # a page of 100 rows (applications.limits.EDITOR_PAGE_ROWS)
    assert status == 200 and fields > 400 and b"typed 99" in response_content
    assert left == 0
