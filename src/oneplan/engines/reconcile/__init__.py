"""Reconciliation for the pre-S&OP meeting: the gaps between demand, supply and budget."""

from oneplan.engines.reconcile.gaps import KINDS, gap_list

__all__ = ["KINDS", "gap_list"]
