"""The write path of a run's proposals: COPY on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_create`` spends most of its time building one parameter per value; PostgreSQL's
``COPY ... FROM STDIN`` (psycopg ``cursor.copy``) streams the same rows 2.5–3× faster
(``benchmarks/copy_write_bench.py``). Ids come from the table's sequence first (one query), so
the objects carry their primary keys afterwards exactly as with ``bulk_create``; ``auto_now``
fields and any field of another kind than plain numbers, text, dates and keys are prepared by
the field itself (``pre_save`` then ``get_db_prep_save``), so ``auto_now_add`` behaves the same.
No signals are sent, as with ``bulk_create``.

After a run's write, :func:`analyze_on_commit` has PostgreSQL ``ANALYZE`` the tables the run
touched, so the planner's row estimates follow a bulk load at once instead of waiting for
autovacuum.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import Model
from django.db.models.base import ModelState

from .models import ListingMatchStatus, MatchRun, Proposal

#: The tables a real run writes to: its proposals, the run row, each listing's match status.
RUN_TABLES: tuple[type[Model], ...] = (Proposal, MatchRun, ListingMatchStatus)

M = TypeVar("M", bound=Model)


def unsaved_instances(
    model: type[M], rows: Sequence[Mapping[str, Any]], *, related: Mapping[str, Model] | None = None
) -> list[M]:
    """Unsaved instances of ``model``, one per row, built without ``Model.__init__``.

    A run writes tens of thousands of proposals, and ``Model.__init__`` (a loop over every field
    with keyword look-ups and a descriptor call per foreign key) was the largest single part of
    its write: 29,249 proposals took about 3 s of a 20k × 20k run. Each row gives values by
    *attname* (``offer_id``, not ``offer``), every row the same fields (the first row decides
    which fields take their defaults); every concrete field a row leaves out gets its
    default exactly as ``__init__`` would (``field.get_default()``, called per instance, so a
    ``default=list`` is never shared); ``related`` objects (the run, its factor set) are set as
    the foreign-key descriptor sets them: the key in the row, the object in the instance's cache.
    No ``pre_init``/``post_init`` signals are sent (nothing in Qaita listens to them), as
    ``bulk_create`` sends no ``post_save``. The result is what ``model(**row)`` gives (a test
    compares every field).
    """
    if not rows:
        return []
    meta = model._meta
    related = related or {}
    links = [(_foreign_key(model, name), obj) for name, obj in related.items()]
    given = set(rows[0]) | {field.attname for field, _ in links}
    missing: list[tuple[str, Callable[[], Any]]] = [
        (field.attname, field.get_default) for field in meta.concrete_fields if field.attname not in given
    ]
    linked = {field.attname: obj.pk for field, obj in links}
    cache = {field.name: obj for field, obj in links}
    new = model.__new__
    made: list[M] = []
    for row in rows:
        obj = new(model)
        state = ModelState()
        state.fields_cache = dict(cache)
        values = obj.__dict__
        values["_state"] = state
        for attname, default in missing:
            values[attname] = default()
        values.update(linked)
        values.update(row)
        made.append(obj)
    return made


def _foreign_key(model: type[Model], name: str) -> models.ForeignKey:
    field = model._meta.get_field(name)
    if not isinstance(field, models.ForeignKey):
        raise TypeError(f"{model.__name__}.{name} is not a foreign key")
    return field


def copy_insert(model: type[Model], objs: Sequence[Model], *, using: str | None = None) -> None:
    """Insert ``objs`` (unsaved, no pk) with COPY; sets their pks. PostgreSQL only."""
    if not objs:
        return
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    pk = meta.pk
    assert pk is not None and pk.column is not None
    fields = [f for f in meta.concrete_fields if f is not pk]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in [pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        # every value in one C call per row; then the few fields that need it are prepared
        values = operator.attrgetter(*(f.attname for f in fields))
        prepared = [(position, f) for position, f in enumerate(fields, start=1) if _needs_preparation(f)]
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj, new_id in zip(objs, ids, strict=True):
                got = values(obj)
                row = [new_id, *got] if len(fields) > 1 else [new_id, got]
                for position, field in prepared:
                    row[position] = field.get_db_prep_save(field.pre_save(obj, add=True), connection)
                copy.write_row(row)
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = alias


#: Fields whose Python value psycopg adapts as it is (PostgreSQL's backend passes them through
#: ``get_db_prep_save`` unchanged): skipping the per-value call is most of COPY's gain.
_PLAIN_FIELDS = (
    models.IntegerField,
    models.CharField,
    models.DecimalField,
    models.BooleanField,
    models.ForeignKey,
    models.DateField,  # DateTimeField too (a subclass)
)


def _needs_preparation(field: models.Field) -> bool:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return True
    return not isinstance(field, _PLAIN_FIELDS)


def proposals_insert(proposals: Sequence[Proposal]) -> None:
    """Insert a run's new proposals: COPY on PostgreSQL, ``bulk_create`` on SQLite."""
    if not proposals:
        return
    if connections[router.db_for_write(Proposal)].vendor == "postgresql":
        copy_insert(Proposal, proposals)
    else:
        Proposal.objects.bulk_create(proposals, batch_size=1000)


def analyze(models: Iterable[type[Model]] = RUN_TABLES) -> None:
    """``ANALYZE`` these tables on PostgreSQL (nothing elsewhere)."""
    for model in models:
        connection = connections[router.db_for_write(model)]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def analyze_on_commit(models: Iterable[type[Model]] = RUN_TABLES) -> None:
    """``ANALYZE`` the run's tables once its write has committed."""
    chosen = tuple(models)
    transaction.on_commit(lambda: analyze(chosen))
