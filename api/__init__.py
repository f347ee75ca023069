"""The REST API under ``/api/v1/``: what an operator does in the browser, scriptable.

How it is put together (read this before adding a resource):

- **Who**: ``authentication.py`` (a personal token sent as ``Authorization: Bearer cba_…``, see
  ``tokens.py``; or the browser's session with its CSRF check). ``throttling.py`` limits each token
  (``API_TOKEN_RATE``).
- **May they**: ``permissions.RouteRolePermission`` reads the least role for the route and method from
  the one access table, ``cobrowse_admin/access.py``, which the browser's pages read too.
- **Errors**: ``problems.py`` answers every error as ``application/problem+json`` (RFC 9457) with
  ``errors`` by field; ``EditConflict`` becomes 412, a ``ProtectedError`` 409, an unexpected exception
  a logged 500 that says nothing of it. Raise DRF exceptions (or let the services raise theirs).
- **No lost update**: ``concurrency.VersionedObjectMixin`` puts the browser's version in ``ETag``
  and ``expected_version()`` reads ``If-Match`` (428 without). Pass it to the service, which checks
  it under its lock as it does for a form; call ``services.check_version`` (or the resource's own)
  first, so a conflict is said before any form error, as the browser does.
- **One write path**: writes bind the *browser's form* (``forms.serializer_for_form`` gives the
  request serializer from it, for JSON types and the schema; ``forms.valid_form`` runs the form and
  raises its errors as a 400) and call the *same service* the view calls. Never re-implement a rule
  here: if a view holds logic, move it into a service and call that from both.
- **Lists**: ``pagination.NumberedPages`` (100 a page); filters with a django-filter ``FilterSet``;
  annotate or ``select_related`` what the serializer shows, so the query count does not grow.

Adding a resource (``hosts.py`` is the model to copy):

1. A module ``api/<resource>.py``: a read serializer, the write serializer from the browser's form,
   a ``FilterSet``, a viewset (``VersionedObjectMixin`` if the browser versions it) whose writes call
   the services. Document bodies and ``IF_MATCH`` with ``extend_schema``. A ModelForm saved by
   ``services.save_object`` needs only ``resources.FormBackedViewSet`` (hosts, ports, connections);
   a resource with its own service (options, users, a store) writes like ``options.py``/``users.py``.
   True/false list filters: ``filters.StrictBooleanFilter``.
2. Register it in ``api/urls.py`` (``router.register("things", ThingViewSet, basename="thing")``).
3. Add its routes (``api:thing-list``, ``api:thing-detail``, each action's) to ``API`` in
   ``cobrowse_admin/access.py`` with the role the browser asks for the same thing.
   ``tests/api/test_access_table.py`` fails until you do; ``tests/api/test_role_matrix.py`` and the
   schemathesis run then cover the new operations by themselves.
4. Tests in ``tests/api/test_<resource>.py``: its filters, its writes (the same audit events and
   versions as the form), 412/428 when it takes If-Match.
"""
