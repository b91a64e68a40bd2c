"""The demand plan's cells with their hierarchy keys, kept in memory between reads.

A stored version's frames never change, so its cells with the families, categories and
regions of the master data are the same from one read to the next until an import changes
the items, families or locations. Working them out is most of a demand plan read (the frame
from parquet, three master tables, the joins: about 100 ms at 1,500 items); a few are kept per
process, keyed by the database, the version and its row version, and a stamp of the master
data (each table's rows and newest change), so a changed table is read again at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.models import Family, Item, Location

#: How many versions' cells a process keeps (a few MiB each at 1,500 items).
KEEP = 4
Cells = tuple[pd.DataFrame, list[str]]

_kept: OrderedDict[tuple[Any, ...], Cells] = OrderedDict()
_lock = threading.Lock()


def master_stamp(session: Session) -> tuple[Any, ...]:
    """Per master table the cells depend on: its number of rows and its newest change."""
    counts = [
        sa.select(sa.func.count()).select_from(table).scalar_subquery()
        for table in (Item, Family, Location)
    ]
    newest = [
        sa.select(sa.func.max(table.updated_at)).scalar_subquery()
        for table in (Item, Family, Location)
    ]
    return tuple(session.execute(sa.select(*counts, *newest)).one())


def cached_cells(
    session: Session, version_id: int, row_version: int, work_out: Callable[[], Cells]
) -> Cells:
    """The cells of this version as ``work_out`` gives them, from memory when nothing they
    depend on changed. Callers must not change the frame in place (copy or ``assign``)."""
    key = (str(session.get_bind().engine.url), version_id, row_version, master_stamp(session))
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    found = work_out()  # outside the lock: two first reads may both work it out, no harm
    with _lock:
        _kept[key] = found
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return found
