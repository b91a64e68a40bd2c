"""Edits named against a version: a person reads a thing (a plan version, an override, a
scenario, a user) at version n and changes it "as of n"; if someone changed it since, the edit is
refused with the current state, never applied on top of a state nobody looked at.

The services check the version after they lock the row, so two people editing at once cannot
both pass the check; the row's ``version_id_col`` catches any change that slips past.
"""

from __future__ import annotations

from collections.abc import Callable

from oneplan.errors import Stale


def check_version(
    what: str, current: int, expected: int | None, state: Callable[[], object]
) -> None:
    """Refuse (`Stale`, carrying ``state()``) an edit made on another version than ``current``;
    ``expected`` None: the caller did not say which version it read (the command line).

    >>> check_version("plan version 4", 2, 2, dict)
    >>> check_version("plan version 4", 3, None, dict)
    >>> check_version("plan version 4", 3, 2, lambda: {"state": "approved"})
    Traceback (most recent call last):
    ...
    oneplan.errors.Stale: plan version 4 is at version 3, not 2: someone changed it since it was read; nothing was changed
    """  # noqa: E501
    if expected is not None and expected != current:
        raise Stale(
            f"{what} is at version {current}, not {expected}: someone changed it since it was "
            "read; nothing was changed",
            current=state(),
        )
