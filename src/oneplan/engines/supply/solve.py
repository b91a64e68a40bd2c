"""Hand the built model to HiGHS; the solver's status comes back as data, never as an exception."""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from oneplan.engines.supply.build import SupplyModel
from oneplan.engines.supply.index import ModelBuilder

STATUS_NAMES = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible_even_relaxed",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible_even_relaxed",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
    highspy.HighsModelStatus.kMemoryLimit: "memory_limit",
}


@dataclass(frozen=True)
class SolveOutcome:
    """What HiGHS returned: status, primal values, row duals (LP only) and timings."""

    status: str
    column_values: np.ndarray
    row_duals: np.ndarray | None
    penalty_duals: np.ndarray | None
    """The part of each row dual that comes from the relaxation penalty (None: unknown)."""
    objective: float
    has_solution: bool
    build_seconds: float
    pass_seconds: float
    solve_seconds: float
    mip_gap: float


def _penalty_part(h: highspy.Highs, b: ModelBuilder) -> np.ndarray | None:
    """How much of each row dual the relaxation penalty sets, from the optimal basis.

    The duals solve ``B^T y = c_B`` over the basic columns, so they split exactly into the
    part from business costs and the part from the penalty costs of basic slack columns
    (a relaxed limit, or a slack at zero in a degenerate basis). A price with a penalty part
    moves when the penalty moves: it is no business value, whatever the scale of the money.
    None when HiGHS holds no basis to solve with.
    """
    status, basic = h.getBasicVariables()  # type: ignore[attr-defined]  # not in the stubs
    if status != highspy.HighsStatus.kOk or len(basic) != b.n_rows:
        return None
    basic = np.asarray(basic, np.int64)
    column = np.where(basic >= 0, basic, 0)  # negative entries are row slacks, which cost 0
    priced = (basic >= 0) & b.penalty_columns()[column]
    if not priced.any():
        return np.zeros(b.n_rows)
    cost = np.where(priced, b.cost()[column], 0.0)
    status, part = h.getBasisTransposeSolve(cost)  # type: ignore[attr-defined]
    if status != highspy.HighsStatus.kOk:
        return None
    return np.asarray(part, float)


def solve_model(
    model: SupplyModel, *, time_limit: float | None = None, build_seconds: float = 0.0
) -> SolveOutcome:
    """Solve ``model`` with HiGHS (simplex duals for an LP, branch and bound for a MIP)."""
    b = model.builder
    started = time.perf_counter()
    a = b.matrix()
    lower, upper = b.column_bounds()
    row_lower, row_upper = b.row_bounds()
    integer = b.integrality()
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    args = (
        b.n_columns,
        b.n_rows,
        int(a.nnz),
        1,
        1,
        0.0,
        b.cost(),
        lower,
        upper,
        row_lower,
        row_upper,
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data,
    )
    h.passModel(*args, integer.astype(np.int32))
    passed = time.perf_counter()
    h.run()
    solved = time.perf_counter()
    status = h.getModelStatus()
    name = STATUS_NAMES.get(status, h.modelStatusToString(status).lower().replace(" ", "_"))
    info = h.getInfo()
    has_solution = int(info.primal_solution_status) == 2
    solution = h.getSolution()
    values = np.asarray(solution.col_value, float) if has_solution else np.full(b.n_columns, np.nan)
    duals = None
    from_penalty = None
    if solution.dual_valid and not integer.any():
        duals = np.asarray(solution.row_dual, float)
        from_penalty = _penalty_part(h, b)
    return SolveOutcome(
        status=name,
        column_values=values,
        row_duals=duals,
        penalty_duals=from_penalty,
        objective=float(info.objective_function_value) if has_solution else float("nan"),
        has_solution=has_solution,
        build_seconds=build_seconds,
        pass_seconds=passed - started,
        solve_seconds=solved - passed,
        mip_gap=float(info.mip_gap) if integer.any() else 0.0,
    )
