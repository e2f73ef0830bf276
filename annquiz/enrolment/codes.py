"""Join codes: short, typed by hand, read aloud in a lecture hall.

A code is eight characters from an alphabet without the look-alikes 0/O, 1/I/L and 5/S; what
a student types is read case-insensitively, with spaces and dashes ignored.
"""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
CODE_LENGTH = 8


def join_code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def join_code_normalize(typed: str) -> str:
    """``typed`` as stored: upper case, without spaces or dashes."""
    return "".join(typed.split()).replace("-", "").upper()


def invitation_token_new() -> str:
    """A token for an invitation link: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)
