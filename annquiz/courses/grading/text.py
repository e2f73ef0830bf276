"""Matching a student's free text against rubric patterns.

The rules, in the order they apply:

1. **Normalisation.** Unicode NFKC, case-folded, accents stripped (``naïve`` = ``naive``),
   typographic apostrophes unified to ``'`` and every hyphen or dash treated as a space.
2. **Tokens and clauses.** A token is a run of letters/digits (inner apostrophes kept, so
   ``isn't`` is one token; ``0.5`` is one token; ``non`` joins the next word, so ``non-linear``
   is ``nonlinear``). A clause ends at ``. , ; : ! ? ( ) [ ] /`` (a dot inside ``model.fit``
   only separates words), at line breaks and at the words ``but``, ``however``,
   ``although``, ``though``, ``whereas`` and ``yet``. A match never spans two clauses.
3. **Patterns.** A pattern is normalised the same way. Its tokens match the text's tokens in
   order; the last token matches as a prefix (``overfit`` matches ``overfitting``), except a
   last token of fewer than 4 characters, which must match whole or with a plural ending
   (``rnn`` matches ``rnns`` but ``ann`` never matches ``annual``). A pattern also matches
   across spacing: ``non linear``, ``non-linear`` and ``nonlinear`` all match each other.
   The token ``*`` in a pattern stands for up to two arbitrary words of the same clause
   (never a negation word): ``use * ann`` matches ``use an ANN``.
4. **Spelling.** Tokens of 6 or more letters tolerate one edit (insertion, deletion,
   substitution or transposition of neighbours: Damerau-Levenshtein distance 1), so
   ``overfiting`` and ``nonlinaer`` match. Tokens with digits never do (``l1`` is not ``l2``).
5. **Negation.** A match does not count when a negation word (``not``, ``no``, ``never``,
   ``without``, ``nor``, ``neither``, ``cannot``, ``rather than``, ``instead of``, ``unlike``,
   any ``...n't`` and its apostrophe-less spellings such as ``isnt``) stands within the three
   tokens before it in the same clause, or when the match is followed by a negated verb
   (``overfitting is not the problem``, ``a CNN wouldn't work``). ``not only``/``not just``
   do not negate.
6. **Negated patterns.** A pattern that starts with ``not`` or ``no`` matches the *negated*
   occurrences of the rest: ``not generaliz`` matches "does not generalize", "fails... rather
   than generalizing" and "can't generalise".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "NEGATORS",
    "TOKEN_RE",
    "CompiledPattern",
    "Match",
    "TextIndex",
    "Token",
    "compile_pattern",
    "damerau_levenshtein",
    "find_matches",
    "index_tokens",
    "is_negation_word",
    "iter_matches",
    "normalize",
    "tokenize",
    "within_one_edit",
]

# Apostrophe look-alikes and every dash/hyphen/minus sign Unicode has in common use.
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2018\u2019\u201b\u02bc\u2032\u00b4`\uff07"})
_DASHES = str.maketrans(
    {c: " " for c in "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u00ad"}
)

TOKEN_RE = re.compile(
    r"""
    (?P<number>\d+(?:[.,]\d+)+)            # 0.5, 1,000 (one token)
    | (?P<word>[^\W_]+(?:'[^\W_]+)*)       # words, with inner apostrophes: isn't, cnn's
    | (?P<stop>\.(?![^\W_])|[,;:!?()\[\]{}/\n])  # clause punctuation; "model.fit" is 2 words
    """,
    re.VERBOSE,
)

CLAUSE_WORDS = frozenset({"but", "however", "although", "though", "whereas", "yet"})

# Verbs that carry their own negation, including the apostrophe-less spellings students type.
_NEGATED_VERBS = frozenset(
    {
        "cannot", "isnt", "arent", "wasnt", "werent", "doesnt", "dont", "didnt", "cant",
        "couldnt", "wont", "wouldnt", "shouldnt", "hasnt", "havent", "hadnt", "aint",
    }
)  # fmt: skip
NEGATORS = _NEGATED_VERBS | {"not", "no", "never", "without", "nor", "neither", "unlike", "none"}
_FOLLOWING_NEGATORS = frozenset({"not", "never", "no"})
# Words that may stand between a match and a following negation: "X is not", "X will never".
_LINKING = frozenset(
    {
        "is", "are", "was", "were", "be", "been", "does", "do", "did", "will", "would",
        "could", "should", "can", "may", "might", "has", "have", "had", "seems", "seem",
        "really", "definitely", "clearly", "probably", "likely", "actually", "certainly",
        "simply", "just",
    }
)  # fmt: skip
# "not only", "not just": the words after them are asserted, not denied.
_NOT_NEGATING_AFTER = frozenset({"only", "just", "merely", "simply"})
_PRECEDING_WINDOW = 3
_SHORT_TOKEN = 4
_FUZZY_MIN = 6
_PLURAL_SUFFIXES = ("", "s", "es", "'s")
_WILDCARD_MAX = 2


def normalize(text: str) -> str:
    """NFKC, case-folded, accents stripped, apostrophes unified and dashes turned to spaces."""
    if text.isascii():
        return text.lower().translate(_APOSTROPHES).translate(_DASHES)
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_APOSTROPHES).translate(_DASHES)


@dataclass(frozen=True)
class Token:
    text: str
    clause: int


def tokenize(text: str) -> list[Token]:
    """The normalised tokens of ``text``, each tagged with the number of its clause."""
    tokens: list[Token] = []
    clause = 0
    for match in TOKEN_RE.finditer(normalize(text)):
        if match.group("stop") is not None:
            clause += 1
            continue
        word = match.group("number") or match.group("word")
        if word in CLAUSE_WORDS:
            clause += 1
            continue
        if tokens and tokens[-1].text == "non" and tokens[-1].clause == clause:
            # "non linear" and "non-linear" are written "nonlinear" too: one token for all three.
            tokens[-1] = Token("non" + word, clause)
            continue
        tokens.append(Token(word, clause))
    return tokens


def damerau_levenshtein(a: str, b: str, bound: int = 1) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b``, or ``bound + 1`` once it exceeds
    ``bound`` (so long, unrelated strings are rejected after a few cells)."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        previous_previous, previous = previous, current
    return min(previous[len(b)], bound + 1)


def within_one_edit(a: str, b: str) -> bool:
    """``damerau_levenshtein(a, b) <= 1``, decided by comparing slices instead of a table."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < la and i < lb and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substitution
        return a[i + 2 :] == b[i + 2 :] and a[i] == b[i + 1] and a[i + 1] == b[i]
    if la > lb:
        return a[i + 1 :] == b[i:]  # one deletion from a
    return a[i:] == b[i + 1 :]  # one insertion into a


def _fuzzy_allowed(word: str) -> bool:
    return len(word) >= _FUZZY_MIN and word.isalpha()


@lru_cache(maxsize=65536)
def _token_equals(pattern: str, word: str) -> bool:
    if pattern == word:
        return True
    return _fuzzy_allowed(pattern) and within_one_edit(pattern, word)


@lru_cache(maxsize=65536)
def _token_ends_pattern(pattern: str, word: str) -> bool:
    """Does ``word`` match the last token of a pattern: prefix, plural or one-edit variant?"""
    if len(pattern) < _SHORT_TOKEN:
        return any(word == pattern + suffix for suffix in _PLURAL_SUFFIXES)
    if word.startswith(pattern):
        return True
    if not _fuzzy_allowed(pattern):
        return False
    # One edit within the prefix: compare against the word's prefixes of nearby lengths.
    return any(
        within_one_edit(pattern, word[:length])
        for length in (len(pattern) - 1, len(pattern), len(pattern) + 1)
        if _SHORT_TOKEN <= length <= len(word)
    )


@dataclass(frozen=True, eq=False)
class CompiledPattern:
    """A rubric pattern in matchable form; ``negated`` for patterns starting ``not``/``no``.

    Compared and hashed by identity: ``compile_pattern`` returns one object per pattern text,
    and the per-word match caches key on it.
    """

    source: str
    tokens: tuple[str, ...]
    negated: bool
    squashed: str  # the words run together: "early stopping" -> "earlystopping"


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> CompiledPattern:
    """Normalise and tokenise a rubric pattern. Raises ValueError when it cannot match."""
    words: list[str] = []
    for part in re.split(r"(\*)", normalize(pattern)):
        if part == "*":
            words.append("*")
            continue
        tokens = tokenize(part)
        if len({token.clause for token in tokens}) > 1:
            raise ValueError(
                f"pattern {pattern!r} contains punctuation or a clause-breaking word such as "
                "'but' that splits it"
            )
        words.extend(token.text for token in tokens)
    negated = bool(words) and words[0] in {"not", "no"}
    if negated:
        words = words[1:]
    if not [w for w in words if w != "*"]:
        raise ValueError(f"pattern {pattern!r} has no letters or digits to match")
    if words[0] == "*" or words[-1] == "*":
        raise ValueError(f"pattern {pattern!r} may not start or end with the wildcard '*'")
    if any(w in NEGATORS or w.endswith("n't") for w in words):
        raise ValueError(
            f"pattern {pattern!r} contains a negation word inside it; write 'not X' at the start "
            "to match a negated X"
        )
    squashed = "".join(w for w in words if w != "*")
    return CompiledPattern(pattern, tuple(words), negated, squashed)


def is_negation_word(word: str) -> bool:
    """Is ``word`` one of the negation words (``not``, ``never``, ``isn't``, ``dont``...)?"""
    return word in NEGATORS or word.endswith("n't")


def _is_negator(tokens: list[Token], index: int) -> bool:
    word = tokens[index].text
    following = tokens[index + 1].text if index + 1 < len(tokens) else ""
    same_clause_next = index + 1 < len(tokens) and tokens[index + 1].clause == tokens[index].clause
    if word == "not" and same_clause_next and following in _NOT_NEGATING_AFTER:
        return False
    if word in NEGATORS or word.endswith("n't"):
        return True
    previous = tokens[index - 1].text if index > 0 else ""
    return (word == "than" and previous == "rather") or (word == "of" and previous == "instead")


def _match_tokens(pattern: tuple[str, ...], tokens: list[Token], start: int) -> int | None:
    """End index (exclusive) when ``pattern`` matches token-by-token from ``start``."""
    clause = tokens[start].clause

    def walk(p: int, t: int) -> int | None:
        if p == len(pattern):
            return t
        word = pattern[p]
        if word == "*":
            for skip in range(_WILDCARD_MAX + 1):
                end = t + skip
                if end > len(tokens) or any(
                    tokens[k].clause != clause or _is_negator(tokens, k) for k in range(t, end)
                ):
                    break
                result = walk(p + 1, end)
                if result is not None:
                    return result
            return None
        if t >= len(tokens) or tokens[t].clause != clause:
            return None
        last = p == len(pattern) - 1
        ok = (
            _token_ends_pattern(word, tokens[t].text)
            if last
            else _token_equals(word, tokens[t].text)
        )
        return walk(p + 1, t + 1) if ok else None

    return walk(0, start)


def _match_compound(compiled: CompiledPattern, tokens: list[Token], start: int) -> int | None:
    """End index when the pattern matches ``start``'s tokens written with other spacing:
    ``non linear`` against ``nonlinear``, or ``nonlinear`` against ``non linear``."""
    if "*" in compiled.tokens:
        return None
    target = compiled.squashed
    last_is_short = len(compiled.tokens[-1]) < _SHORT_TOKEN
    # A slip is looked for only from a word of 3 or more letters, never from "a" or "an".
    fuzzy = _fuzzy_allowed(target) and len(tokens[start].text) >= 3
    clause = tokens[start].clause
    joined = ""
    for end in range(start, min(len(tokens), start + len(compiled.tokens) + 2)):
        if tokens[end].clause != clause:
            break
        before = len(joined)
        joined += tokens[end].text
        count = end - start + 1
        if count == len(compiled.tokens) or len(joined) < len(target) - 1:
            continue
        if last_is_short:
            if any(joined == target + suffix for suffix in _PLURAL_SUFFIXES):
                return end + 1
            continue
        if joined.startswith(target) and before < len(target):
            return end + 1
        if fuzzy and any(
            within_one_edit(target, joined[:length])
            for length in (len(target) - 1, len(target), len(target) + 1)
            if before < length <= len(joined)
        ):
            return end + 1
    return None


@lru_cache(maxsize=65536)
def _could_start(compiled: CompiledPattern, word: str) -> bool:
    """Can a match of ``compiled`` begin at a token ``word``? A cheap, cached first filter;
    the full match is checked only where this holds."""
    target = compiled.squashed
    # With at most one slip, one of the word's first two letters is one of the pattern's.
    head = target[:2]
    if word[0] not in head and (len(word) < 2 or word[1] not in head):
        return False
    first = compiled.tokens[0]
    if len(compiled.tokens) == 1:
        if _token_ends_pattern(first, word):
            return True
    elif _token_equals(first, word):
        return True
    if "*" in compiled.tokens:
        return False
    if target.startswith(word) or word.startswith(target):
        return True
    if not _fuzzy_allowed(target) or len(word) < 3:
        return False  # as in _match_compound: no slips looked for from "a" or "an"
    lengths = (len(word) - 1, len(word), len(word) + 1)
    return any(within_one_edit(target[:n], word) for n in lengths) or any(
        within_one_edit(target, word[:n]) for n in (len(target) - 1, len(target), len(target) + 1)
    )


def _negated(tokens: list[Token], start: int, end: int) -> bool:
    clause = tokens[start].clause
    for index in range(start - 1, max(-1, start - 1 - _PRECEDING_WINDOW), -1):
        if tokens[index].clause != clause:
            break
        if _is_negator(tokens, index):
            return True
    for linking, index in enumerate(range(end, min(len(tokens), end + 4))):
        if tokens[index].clause != clause:
            return False
        word = tokens[index].text
        if word.endswith("n't") or word in _NEGATED_VERBS:
            return True  # "X isn't", "X doesn't", "X cannot"
        if word in _FOLLOWING_NEGATORS:
            # "X is not", "X will never"; a bare "X not Y" sets X against Y and denies Y only.
            return linking > 0
        if word not in _LINKING:
            return False
    return False


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    clause: int
    negated: bool


@dataclass(frozen=True)
class TextIndex:
    """Where each distinct word of a text occurs, and the words by their first two letters."""

    positions: dict[str, list[int]]
    by_letter: dict[str, set[str]]

    def candidates(self, compiled: CompiledPattern) -> list[int]:
        """Positions where ``compiled`` could start, in text order."""
        words: set[str] = set()
        for letter in set(compiled.squashed[:2]):
            words |= self.by_letter.get(letter, set())
        return sorted(
            index
            for word in words
            if _could_start(compiled, word)
            for index in self.positions[word]
        )


def index_tokens(tokens: list[Token]) -> TextIndex:
    """Index a text's words so that each pattern tries only the words it can start at."""
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(tokens):
        positions.setdefault(token.text, []).append(index)
    by_letter: dict[str, set[str]] = {}
    for word in positions:
        for letter in set(word[:2]):
            by_letter.setdefault(letter, set()).add(word)
    return TextIndex(positions, by_letter)


def find_matches(
    compiled: CompiledPattern,
    tokens: list[Token],
    index: TextIndex | None = None,
) -> list[Match]:
    """Every place the pattern matches, each marked negated or asserted.

    For a negated pattern (``not X``) a match is *asserted* when X occurs negated.
    ``index`` is ``index_tokens(tokens)``, passed when many patterns search one text.
    """
    return list(iter_matches(compiled, tokens, index))


def iter_matches(
    compiled: CompiledPattern,
    tokens: list[Token],
    index: TextIndex | None = None,
) -> Iterator[Match]:
    """``find_matches`` one at a time, so a caller can stop at the first it needs."""
    if index is None:
        index = index_tokens(tokens)
    covered = 0
    for start in index.candidates(compiled):
        if start < covered:
            continue
        end = _match_tokens(compiled.tokens, tokens, start)
        if end is None:
            end = _match_compound(compiled, tokens, start)
        if end is None:
            continue
        negated = _negated(tokens, start, end)
        if compiled.negated:
            negated = not negated
        yield Match(start, end, tokens[start].clause, negated)
        covered = end
