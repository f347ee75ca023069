"""``field__in_array=values``: ``field IN (values)`` sent as ONE array parameter on PostgreSQL.

Django writes ``IN (%s, %s, ...)``, one parameter per value, and prepares each value on its way; psycopg
then parses the statement for its placeholders, and does not cache that parse for a statement of more
than 50 parameters. A page of the review sends a few hundred application ids, store paths and
subjects in six lists: writing and parsing them was a tenth of the page's CPU. ``= ANY(%s)`` with the
list as one array is the same condition in one parameter. Other databases (SQLite in development)
read the usual ``IN``.

Pass a set or a dict's keys rather than a list: Django's ``filter`` walks a list or a tuple value element by
element, looking for expressions to resolve (a page of the review sent a thousand ids that way, 1,300 calls
a request); any other iterable it passes on as it is, and the lookup reads each value once.

The values may also be a one-column queryset: ``= ANY(ARRAY(SELECT ...))`` on PostgreSQL. The planner
runs that subquery once, before the scan, and then uses the column's index like for a list; an
``IN (SELECT ...)`` or-ed with other conditions (``SecurityWorld``'s applications, their Nodes and
their Cluster) is a hashed subplan tested on every row, a sequential scan of the table: 4.8-5.8 ms at
5,000 applications where the array reads 0.44-0.57 ms. SQLite reads the same ``IN (SELECT ...)``.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In
from django.db.models.sql.query import Query


class InArray(Lookup):
    lookup_name = "in_array"
    prepare_rhs = False

    def get_prep_lookup(self):
        if isinstance(self.rhs, Query):
            return self.rhs  # a queryset (made a Query by ``filter``): ``In`` checks it has one column
        # The values as they are, without None (never equal to anything, as ``In`` drops it), each once.
        return list(dict.fromkeys(value for value in self.rhs if value is not None))

    def as_sql(self, compiler, connection):
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        if isinstance(self.rhs, Query):
            lhs, lhs_params = self.process_lhs(compiler, connection)
            # ``In`` checks the one column and drops the ordering; its right side is "(SELECT ...)".
            rhs, rhs_params = In(self.lhs, self.rhs).process_rhs(compiler, connection)
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        if not self.rhs:
            raise EmptyResultSet  # as ``In`` does: an empty array's type could not be told
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, array_literal(self.rhs))


def array_literal(values: list) -> str | list:
    """The values as one array literal ('{1,2}', '{"a","b"}') when all are ints or all strings, else as they
    are. psycopg adapts a list element by element, a regular expression each (3.5 µs a string): a page of the
    review sent 400 store paths and subjects, 1.8 ms. PostgreSQL reads the literal as an array of the
    column's type, as it read the list psycopg wrote."""
    if all(type(value) is int for value in values):  # not bool: True is no id
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(value) is str for value in values):
        return "{" + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"
    return values


def register() -> None:
    # A foreign key (``application_id__in_array``: ids, not objects) reads only its own class's lookups.
    for field in (Field, ForeignObject):
        field.register_lookup(InArray)
