"""Usernames that cannot be mistaken for one another.

A username is NFKC-normalized (Django's own ``normalize_username``: the full-width letters
U+FF41, U+FF44, U+FF41 are ``ada``; a letter followed by a combining accent is the accented
letter). Then a new name is refused when

- it mixes scripts and holds a letter confusable with one of another script (``paypal`` with
  a Cyrillic a, U+0430): ``confusable_homoglyphs.is_dangerous``, the check django-registration
  uses (combining marks not counted as a script); or
- it looks the same as an existing user's name, compared case-insensitively: the Unicode
  TR39 skeletons (each character replaced by the prototype it can be confused with, Cyrillic a to
  Latin a, Greek omicron to o, capital I to small l) of the case-folded names agree.

The skeleton is TR39's ``NFD(map(NFD(s)))`` over the confusables data that
``confusable_homoglyphs`` ships (from Unicode's ``confusables.txt``). That data keeps each
confusable pair without its direction, but the mapping is a star (a source character has just
its prototype as neighbour; prototypes are never sources), so the prototype of a character
is its hub neighbour; for a pair of two otherwise unconnected characters the smaller code
point stands for both, which gives the same equivalence.

Existing names are compared one by one (their keys cached per process): fine for the
thousands of accounts of a course; a larger site would store the key in an indexed column.
Two sign-ups of confusable names at the same instant can both pass.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

from confusable_homoglyphs import categories, confusables

# confusables.txt writes right-to-left characters between left-to-right marks.
_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")

CONFUSABLE_MESSAGE = (
    "This username looks the same as one that is already taken (letters of another "
    "alphabet, full-width forms or letter case can make two names look alike); "
    "choose another."
)


def mixed_script_message(scripts: Iterable[str]) -> str:
    names = " and ".join(sorted(script.title() for script in scripts))
    return (
        f"This username mixes letters of different alphabets ({names}) that can look alike; "
        "use the letters of one alphabet."
    )


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username)


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character that is not itself a prototype → its prototype."""
    neighbours: dict[str, list[str]] = {}
    for key, entries in confusables.confusables_data.items():
        neighbours[key.translate(_DIRECTION_MARKS)] = [
            entry["c"].translate(_DIRECTION_MARKS) for entry in entries
        ]
    prototypes: dict[str, str] = {}
    for char, near in neighbours.items():
        if len(char) != 1 or len(near) != 1:
            continue  # a multi-character sequence, or a hub: a prototype
        (other,) = near
        if len(other) > 1 or len(neighbours.get(other, ())) > 1:
            prototypes[char] = other
        else:  # a lone pair: the smaller code point stands for both
            prototypes[char] = min(char, other)
    return prototypes


def skeleton(text: str) -> str:
    """TR39's skeleton: NFD, each character to its prototype, NFD again."""
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


@lru_cache(maxsize=100_000)
def comparison_keys(username: str) -> frozenset[str]:
    """Two names look alike when their keys meet: the skeleton of the case-folded name, and
    the skeleton of the case-folded skeleton (``Ian`` → ``lan``, as a capital I looks like l)."""
    name = normalize_username(username)
    return frozenset({skeleton(name.casefold()), skeleton(skeleton(name).casefold())})


def username_mixes_confusable_scripts(username: str) -> frozenset[str] | None:
    """The scripts of a name that mixes scripts with confusable letters, else None."""
    name = normalize_username(username)
    # confusable_homoglyphs' is_dangerous, with combining marks ("Inherited": they take the
    # script of their letter) not counted as a script of their own.
    shared = ["COMMON", "INHERITED"]
    if not (confusables.is_mixed_script(name, shared) and confusables.is_confusable(name)):
        return None
    return frozenset(categories.unique_aliases(name) - set(shared))


def username_problem(username: str, *, existing: Iterable[str]) -> str | None:
    """Why ``username`` may not be taken, given the ``existing`` names, or None."""
    scripts = username_mixes_confusable_scripts(username)
    if scripts is not None:
        return mixed_script_message(scripts)
    keys = comparison_keys(username)
    name = normalize_username(username)
    for other in existing:
        if other != name and not keys.isdisjoint(comparison_keys(other)):
            return CONFUSABLE_MESSAGE
    return None


def username_refusal(username: str, *, exclude_user_id: int | None = None) -> str | None:
    """Why ``username`` may not be given to a new (or renamed) user, or None."""
    from django.contrib.auth import get_user_model

    others = get_user_model()._default_manager.all()
    if exclude_user_id is not None:
        others = others.exclude(pk=exclude_user_id)
    names = others.values_list("username", flat=True).iterator(chunk_size=5000)
    return username_problem(username, existing=names)
