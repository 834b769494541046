"""The rows one transaction creates, in ONE statement on PostgreSQL (data-modifying CTEs).

:func:`insert_in_one_statement` is ``WITH c0 AS (INSERT ...), c1 AS (INSERT ...), ... SELECT 1``: every row
an intake creates - the notice, its detail, receipt, suspensions, AN notification row, decision log, and
the internet mirror as upserts of the same values - in one round trip. PostgreSQL runs the sub-statements
together and checks the foreign keys at the end of the statement, so a row may refer to a notice inserted
beside it. Each INSERT is compiled by SQLAlchemy once per table and set of columns (its casts and bind
processors: JSON, decimals), and the statement text is kept per shape, so a call costs one text lookup and
the parameter conversion - not SQLAlchemy's per-statement compile and cache-key work, which is most of what an
ORM flush and five Core statements cost (bench/README.md "intake"). Never commits. PostgreSQL only.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Sequence

from sqlalchemy import Table, bindparam, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

def row_of(obj) -> tuple[Table, dict]:
    """(table, row) of a new ORM object: what an ORM flush would insert for it.

    The attributes set on it, the columns' Python defaults for the rest. As in a flush, an attribute set
    to None counts as not set (its default applies, an autoincrement key is left to the database) unless
    its type stores None itself (``should_evaluate_none``). Raises ValueError for a column default that is
    not a scalar or a plain callable (a SQL expression or sequence would need the database).
    """
    mapper = inspect(type(obj))
    table = mapper.local_table
    state = inspect(obj).dict
    row: dict = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        value = state.get(attr.key)
        if value is not None or (attr.key in state and column.type.should_evaluate_none):
            row[column.key] = value
        elif column is table.autoincrement_column:
            continue
        elif column.default is not None:
            default = column.default
            if default.is_scalar:
                row[column.key] = default.arg
            elif default.is_callable:
                row[column.key] = default.arg(None)
            else:
                raise ValueError(f"{table.name}.{column.key}: default needs the database")
        elif column.server_default is None:
            row[column.key] = None
    return table, row


@lru_cache(maxsize=None)
def _compiled(dialect, table: Table, columns: tuple[str, ...], prefix: str, rows: int,
              upsert_key: tuple[str, ...] | None):
    """(SQL of one INSERT of ``rows`` rows, parameters ``<prefix><row>_<column>``, bind processors per column).

    A column's processor is None if it has none, and is paired with whether it must see None too (a type
    that stores None itself, e.g. ``JSON(none_as_null=False)``: None is JSON null, as Core writes it).
    """
    values = [{c: bindparam(f"{prefix}{j}_{c}", type_=table.c[c].type) for c in columns} for j in range(rows)]
    stmt = postgresql.insert(table).values(values if rows > 1 else values[0])
    if upsert_key:
        stmt = stmt.on_conflict_do_update(index_elements=list(upsert_key),
                                          set_={c: stmt.excluded[c] for c in columns if c not in upsert_key})
    compiled = stmt.compile(dialect=dialect)
    extra = set(compiled.params) - {name for row in values for name in (p.key for p in row.values())}
    if extra:  # a column default SQLAlchemy would fill in: the row must give every such column (row_of does)
        raise ValueError(f"{table.name}: no value for {', '.join(sorted(extra))}")
    processors = {c: (p, table.c[c].type.should_evaluate_none) if (p := table.c[c].type._cached_bind_processor(dialect))
                  else None for c in columns}
    return str(compiled), processors


def insert_in_one_statement(session: Session, inserts: Sequence[tuple[Table, dict]],
                            upserts: Iterable[tuple[Table, dict]] = ()) -> None:
    """INSERT ``inserts`` and upsert (on the primary key) ``upserts`` in one statement on ``session``.

    Each item is (table, row: column -> value). Consecutive rows of one table with the same columns go in
    one multi-row INSERT, so they are numbered (serial keys) in the order given; the sub-statements
    themselves run in no set order. Raises what the database raises (IntegrityError for a key clash; the
    statement writes all or nothing).
    """
    items = [(t, r, None) for t, r in inserts] + [(t, r, tuple(c.key for c in t.primary_key)) for t, r in upserts]
    groups: list[tuple[Table, tuple, tuple | None, list[dict]]] = []
    for table, row, key in items:
        columns = tuple(sorted(row))
        if groups and groups[-1][:3] == (table, columns, key):
            groups[-1][3].append(row)
        else:
            groups.append((table, columns, key, [row]))
    connection = session.connection()
    parts: list[str] = []
    params: dict = {}
    for i, (table, columns, key, rows) in enumerate(groups):
        sql, processors = _compiled(connection.dialect, table, columns, f"p{i}_", len(rows), key)
        parts.append(f"c{i} AS ({sql})")
        for j, row in enumerate(rows):
            for column, value in row.items():
                process = processors[column]
                if process is not None and (value is not None or process[1]):
                    value = process[0](value)
                params[f"p{i}_{j}_{column}"] = value
    if parts:
        connection.exec_driver_sql("WITH " + ", ".join(parts) + " SELECT 1", params)


__all__ = ["insert_in_one_statement", "row_of"]
