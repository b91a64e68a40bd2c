"""Coordinates of the LP: named blocks of columns and rows over (entity, period) grids.

Each block remembers its offset and shape, so a solution vector slices back into
``[entity, period]`` arrays and a row's dual maps back to its business name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Block:
    """A contiguous range of columns (or rows) laid out as an array of ``shape``."""

    name: str
    start: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    def index(self) -> np.ndarray:
        """Global positions of the block, shaped like the block."""
        return np.arange(self.start, self.start + self.size).reshape(self.shape)

    def take(self, vector: np.ndarray) -> np.ndarray:
        """This block's slice of a full solution (or dual) vector, shaped like the block."""
        return vector[self.start : self.start + self.size].reshape(self.shape)


@dataclass
class ModelBuilder:
    """Collects column blocks (cost, bounds, integrality) and row blocks (COO triplets).

    >>> m = ModelBuilder()
    >>> x = m.add_columns("make", (2, 3), cost=1.0)
    >>> r = m.add_rows("cap", (2,), upper=5.0)
    >>> m.add_terms(r, np.repeat([0, 1], 3), x.index().ravel(), 1.0)
    >>> m.matrix().shape
    (2, 6)
    """

    columns: dict[str, Block] = field(default_factory=dict)
    rows: dict[str, Block] = field(default_factory=dict)
    _cost: list[np.ndarray] = field(default_factory=list)
    _col_lower: list[np.ndarray] = field(default_factory=list)
    _col_upper: list[np.ndarray] = field(default_factory=list)
    _integer: list[np.ndarray] = field(default_factory=list)
    _penalty: list[np.ndarray] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)
    _row_ids: list[np.ndarray] = field(default_factory=list)
    _col_ids: list[np.ndarray] = field(default_factory=list)
    _values: list[np.ndarray] = field(default_factory=list)
    n_columns: int = 0
    n_rows: int = 0

    def add_columns(
        self,
        name: str,
        shape: tuple[int, ...],
        *,
        cost: float | np.ndarray = 0.0,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        integer: bool = False,
        penalty: bool = False,
    ) -> Block:
        """A block of columns with broadcast cost and bounds; ``penalty`` marks slacks whose
        cost is the relaxation penalty, not a business cost."""
        block = Block(name, self.n_columns, shape)
        self.columns[name] = block
        self.n_columns += block.size
        self._cost.append(np.broadcast_to(np.asarray(cost, float), shape).ravel())
        self._col_lower.append(np.broadcast_to(np.asarray(lower, float), shape).ravel())
        self._col_upper.append(np.broadcast_to(np.asarray(upper, float), shape).ravel())
        self._integer.append(np.full(block.size, integer))
        self._penalty.append(np.full(block.size, penalty))
        return block

    def add_rows(
        self,
        name: str,
        shape: tuple[int, ...],
        *,
        lower: float | np.ndarray = -np.inf,
        upper: float | np.ndarray = np.inf,
    ) -> Block:
        """A block of rows ``lower <= a x <= upper``; terms come later via :meth:`add_terms`."""
        block = Block(name, self.n_rows, shape)
        self.rows[name] = block
        self.n_rows += block.size
        self._row_lower.append(np.broadcast_to(np.asarray(lower, float), shape).ravel())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, float), shape).ravel())
        return block

    def add_terms(
        self,
        rows: Block,
        local_rows: np.ndarray,
        columns: np.ndarray,
        values: float | np.ndarray,
    ) -> None:
        """Add coefficients; ``local_rows`` index the row block (flat), ``columns`` are global."""
        local_rows = np.asarray(local_rows).ravel()
        columns = np.asarray(columns).ravel()
        coef = np.broadcast_to(np.asarray(values, float), local_rows.shape).ravel()
        keep = coef != 0
        self._row_ids.append(rows.start + local_rows[keep])
        self._col_ids.append(columns[keep])
        self._values.append(coef[keep])

    def add_grid_terms(self, rows: Block, columns: Block, values: float | np.ndarray) -> None:
        """Add ``values * column`` to the row of the same grid position (equal shapes)."""
        local = np.arange(rows.size)
        self.add_terms(rows, local, columns.index().ravel(), values)

    def cost(self) -> np.ndarray:
        return np.concatenate(self._cost) if self._cost else np.zeros(0)

    def column_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(self._col_lower), np.concatenate(self._col_upper)

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._row_lower:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self._row_lower), np.concatenate(self._row_upper)

    def integrality(self) -> np.ndarray:
        return np.concatenate(self._integer)

    def penalty_columns(self) -> np.ndarray:
        """True for the columns priced at the relaxation penalty."""
        return np.concatenate(self._penalty) if self._penalty else np.zeros(0, bool)

    def matrix(self) -> sp.csc_matrix:
        """The constraint matrix in compressed-column form (duplicates summed)."""
        if not self._values:
            return sp.csc_matrix((self.n_rows, self.n_columns))
        data = np.concatenate(self._values)
        row = np.concatenate(self._row_ids)
        col = np.concatenate(self._col_ids)
        return sp.csc_matrix((data, (row, col)), shape=(self.n_rows, self.n_columns))
