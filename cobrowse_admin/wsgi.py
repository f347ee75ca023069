import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobrowse_admin.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, their modules, URL patterns and compiled templates: about
# 160,000 objects) lives as long as the process. Frozen, it is left out of the garbage collector's full
# passes, which otherwise scan it all in the middle of a request (20-60 ms on a large page).
from cobrowse_admin.serving import prepare_worker  # noqa: E402 (Django is set up by now)

prepare_worker()
