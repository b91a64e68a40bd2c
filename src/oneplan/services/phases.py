"""The shape of a long service: read, compute, store, each in the transaction it needs.

A service returns a `PhasedRun` (or a `ReadRun` when it stores nothing); a front end runs it
with `oneplan.runner.run_phased`: ``load`` in one consistent read-only snapshot, ``compute``
outside any transaction (nobody waits for a solver or a forecast), ``store`` in one short write
transaction. A job worker can run the compute phase anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

Inputs = TypeVar("Inputs")
Output = TypeVar("Output")
Stored = TypeVar("Stored")


@dataclass(frozen=True)
class PhasedRun(Generic[Inputs, Output, Stored]):
    """``load`` reads (a read-only snapshot), ``compute`` runs the engines (no transaction),
    ``store`` writes (one short write transaction)."""

    load: Callable[[Session], Inputs]
    compute: Callable[[Inputs], Output]
    store: Callable[[Session, Output], Stored]


@dataclass(frozen=True)
class ReadRun(Generic[Inputs, Output]):
    """A long service that stores nothing: ``load`` in a read-only snapshot, then ``compute``."""

    load: Callable[[Session], Inputs]
    compute: Callable[[Inputs], Output]
