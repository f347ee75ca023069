import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobrowse_admin.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, their modules: about 100,000 objects) lives as long as the
# process. Frozen, it is left out of the garbage collector's full passes, which otherwise scan it all
# in the middle of a request (20-60 ms on a large page).
gc.freeze()
