"""The issues to decide in the pre-S&OP meeting: the gaps between demand, supply and budget,
ranked by money, and gathered into the meeting's few decisions."""

from oneplan.engines.issues.decisions import DECISION_COLUMNS, MeetingList, meeting_list
from oneplan.engines.issues.ranking import DETAIL_COLUMNS, KINDS, issue_list

__all__ = [
    "DECISION_COLUMNS",
    "DETAIL_COLUMNS",
    "KINDS",
    "MeetingList",
    "issue_list",
    "meeting_list",
]
