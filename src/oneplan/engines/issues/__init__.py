"""The issues to decide in the pre-S&OP meeting: the gaps between demand, supply and budget,
ranked by money."""

from oneplan.engines.issues.ranking import KINDS, issue_list

__all__ = ["KINDS", "issue_list"]
