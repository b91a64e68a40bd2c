"""Passwords and API tokens: how they are made, hashed and checked.

Passwords are hashed with argon2id (argon2-cffi's defaults: RFC 9106's second recommended
profile, 64 MiB, 3 passes, 4 lanes); a hash made with weaker parameters is replaced at the next
successful check. API tokens are 256 random bits: one SHA-256 of them is as safe to store as a
slow hash, and it lets a request find its token with one indexed look-up.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from oneplan.errors import Problem, ValidationFailed

HASHER = PasswordHasher()
#: The shortest and longest password accepted (OWASP ASVS 2.1.1 and 2.1.2).
SHORTEST, LONGEST = 12, 256
#: What every token starts with: secret scanners and people recognise it.
TOKEN_PREFIX = "op_"
#: Characters of a token kept in clear, to tell tokens apart in a list.
SHOWN = 10
#: Checked against when the user is unknown, so that a wrong name costs as long as a wrong
#: password and the time taken does not tell which names exist.
_DUMMY = HASHER.hash(secrets.token_urlsafe(16))


def check_password(password: str, name: str) -> None:
    """Refuse a password that is too short, too long or the user's own name.

    >>> check_password("correct horse battery", "ann")
    >>> check_password("short", "ann")
    Traceback (most recent call last):
    ...
    oneplan.errors.ValidationFailed: 1 problem(s) found; nothing was changed:
      - user ann, column password: has 5 characters; at least 12 are needed
    """
    problem = None
    if len(password) < SHORTEST:
        problem = f"has {len(password)} characters; at least {SHORTEST} are needed"
    elif len(password) > LONGEST:
        problem = f"has {len(password)} characters; at most {LONGEST} are kept"
    elif password.strip().lower() == name.strip().lower():
        problem = "is the user's name"
    if problem is not None:
        raise ValidationFailed([Problem(f"user {name}", None, "password", problem)])


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches the ``stored`` hash, and a new hash to store when the old
    one was made with weaker parameters (None: keep it). No hash: never matches.

    >>> ok, newer = verify_password(hash_password("correct horse battery"), "correct horse battery")
    >>> ok, newer
    (True, None)
    >>> verify_password(None, "anything")
    (False, None)
    """
    try:
        HASHER.verify(stored or _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored is None:
        return False, None
    return True, hash_password(password) if HASHER.check_needs_rehash(stored) else None


def new_token() -> str:
    """A fresh API token: ``op_`` and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The hex SHA-256 a token is stored and found by.

    >>> len(token_digest(new_token()))
    64
    """
    return hashlib.sha256(token.encode()).hexdigest()
