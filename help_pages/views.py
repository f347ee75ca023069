"""The help pages: an index and one page per topic, readable by every role."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cobrowse_admin.access import access_required
from help_pages.topics import BY_SLUG, TOPICS


@access_required
@require_safe
def index(request):
    return render(request, "help/index.html", {"topics": TOPICS})


@access_required
@require_safe
def topic(request, slug):
    found = BY_SLUG.get(slug)
    if found is None:
        raise Http404("No such help topic.")
    return render(request, found.template, {
        "topic": found, "topics": TOPICS, "soon_days": settings.CERTIFICATE_EXPIRY_WARNING_DAYS})
