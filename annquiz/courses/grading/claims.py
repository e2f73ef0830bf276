"""Finding claims in a student's free text: who does what, with which polarity.

A rubric concept is credited only when the answer *states* one of its claims. Two kinds:

* a **relation** claim has a subject and a predicate ("the validation loss" + "rises"). It is
  stated when a predicate phrase is bound to a subject phrase of the claim in the same clause:
  the predicate binds to the nearest subject phrase before it (``X rises while Y falls`` binds
  *rises* to X and *falls* to Y), or, for an adjective or noun form, to the subject right after
  it ("a rising validation loss", "an increase in validation loss"). A clause without a subject
  of its own continues the subject of the clause before it when it opens with a connective
  ("..., and then flattens out") or a pronoun ("..., then it flattens");
* a **term** claim is one phrase asserted in a sentence ("Overfitting.", "the model is
  overfitting"); with ``action`` the phrase must be proposed as an action ("add dropout",
  "dropout would help"), not merely named.

Polarity: a claim is *denied* when its own words are negated: an odd number of negation words
(``not``, ``no``, ``never``, ``n't``, ``fails to``, ``stops``, ``instead of``...) between the
three words before the subject and the end of the predicate, in the same clause. Negation never
reaches into another clause. A claim stated in a question ("Is it overfitting?") is not stated.

A clause that is only a list of rubric words ("loss decrease flatten", "overfitting
underfitting dropout"), or a sentence of several one-word items separated by commas, states
nothing. Every finding carries the signals that lower the grade's confidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from annquiz.courses.grading.text import TOKEN_RE, is_negation_word, normalize, within_one_edit

__all__ = [
    "TERM_MODES",
    "Claim",
    "ClaimHit",
    "Helpers",
    "Phrase",
    "PhraseCompiler",
    "PhraseSet",
    "TextClaims",
    "Vocabulary",
    "analyse",
    "canonical",
    "compile_phrases",
    "covers",
    "excused",
    "known_words",
]

# A dash between spaces separates like a colon: "overfitting - add dropout".
_SEPARATING_DASH = re.compile(r"[ \t][-\u2012\u2013\u2014\u2015]+[ \t]")
_ARROW = re.compile(r"-+>|=+>|\u2192|\u27f6|\u21d2")
_ARROW_WORD = "xxarrowxx"
# A line break inside a paragraph (a wrapped line) is a space; a blank line or a list item
# starts a new sentence.
_SOFT_BREAK = re.compile(r"(?<![\n.!?;:])\n(?![ \t]*(?:\n|[-*\u2022]|\d+[.)]))")
_NEGATIVE_PRONOUNS = frozenset({"nothing", "nobody", "noone", "nowhere"})
# Sentence-opening answers to a yes/no question ("No, ...", "Not always: ...", "no it has to
# ...") are dropped: they answer the question and negate nothing in the sentence.
_PARTICLE_RE = re.compile(
    r"(^|[.!?;:\n]\s*)(?:"
    r"(?:no|nope|yes|yeah|yep)\b\s*[,.:;!\u2014\u2013-]*(?=\s*(?:$|[,.:;!]|(?:it|its|it's|the|"
    r"a|an|this|that|they|you|we|i|only|not|high|low|because|since|as)\b))"
    r"|not\s+(?:always|necessarily|really|quite|exactly|entirely|at all)\b[,.:;!]?"
    r")",
    re.IGNORECASE,
)
_SENTENCE_END = frozenset({".", "!", "?", ";", "\n"})
_CLAUSE_STOPS = frozenset({",", ":", "(", ")", "[", "]", "{", "}", "/"})
CLAUSE_WORDS = frozenset(
    {"but", "however", "although", "though", "whereas", "yet", "while", "whilst"}
)
# Words that may open a clause whose subject is the previous clause's: "..., and then flattens".
_CONNECTIVES = frozenset(
    {
        "and", "then", "so", "before", "after", "until", "till", "eventually", "finally",
        "later", "afterwards", "gradually", "slowly", "steadily", "which", "that", "also",
        "it", "they", "this", "starts", "start", "started", "begins", "begin", "began", "to",
        "is", "are", "was", "were", "will", "would", "keeps", "keep", "kept", "continues",
        "continue", "gets", "get", "becomes", "become", "only", "just", "again", "at", "some",
        "point", "ultimately", "over", "time", "epochs", "the", "a", "an",
    }
)  # fmt: skip
_BARE_NEGATORS = frozenset({"not", "no", "never", "without", "nor"})
_PRONOUNS = frozenset({"it", "it's", "they", "this", "that", "which"})
# Words that may stand between the parts of a list without making it a sentence.
_LIST_FILLERS = frozenset({"and", "or", "etc", "vs", "versus", "plus", "amp"})
# Verbs that negate what follows them ("fails to generalize") and that end it ("stops
# decreasing": it no longer decreases, which neither states nor denies that it decreases).
_NEGATING_VERBS = frozenset({"fail", "fails", "failed", "failing", "unable"})
_HALTING_VERBS = frozenset(
    {"stop", "stops", "stopped", "stopping", "cease", "ceases", "ceased", "quits", "quit"}
)
_NEGATION_BEFORE_SUBJECT = 3
_MAX_BIND_GAP = 18
_WILDCARD_MAX = 2
_FUZZY_MIN = 6
_SHORT_WORD = 4
# Endings that keep a word an inflection of a stem ("increas" -> "increases"), not another word.
_PLURALS = frozenset({"", "s", "es", "'s", "s'"})
_WORD_ENDINGS = ("s", "d", "ed", "er", "ly", "ing", "al", "y")
_INFLECTIONS = (
    "", "s", "es", "e", "ed", "d", "ing", "er", "ers", "est", "ion", "ions", "ation",
    "ations", "ting", "ted", "ter", "ly", "ally", "ment", "ments", "ness", "al", "ive", "ity",
    "ies", "y", "ied", "ying", "n", "en",
)  # fmt: skip
_IRREGULAR_FINITE = frozenset(
    {"rose", "fell", "grew", "went", "shrank", "sank", "began", "got", "kept", "became"}
)

# British spellings folded into American ones, on both sides of every comparison.
_SPELLING_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{2})ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=[a-z]{2})ell(ed|ing|er|ers)$"), r"el\1"),
    (re.compile(r"(?<=[a-z]{2})iour(s?)$"), r"ior\1"),
)


@lru_cache(maxsize=65536)
def canonical(word: str) -> str:
    """``word`` with British spellings folded: memorise -> memorize, levelled -> leveled."""
    if len(word) < 5 or not word.isalpha():
        return word
    for pattern, replacement in _SPELLING_RULES:
        word = pattern.sub(replacement, word)
    return word


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    text: str
    clause: int
    sentence: int


@dataclass(frozen=True)
class _Tokens:
    tokens: tuple[Token, ...]
    questions: frozenset[int]  # sentences that end with "?"
    clause_starts: dict[int, int]  # clause -> index of its first token
    after_colon: frozenset[int]  # clauses that follow a ":" ("Weights: how much ...")
    after_arrow: frozenset[int]  # clauses that follow an arrow ("overfitting -> dropout")
    contrast: frozenset[int]  # clauses opened by "but", "while", "whereas"...
    asked: frozenset[int]  # every sentence that ends with "?"


def _tokenize(text: str) -> _Tokens:
    tokens: list[Token] = []
    clause = sentence = 0
    questions: set[int] = set()
    after_colon: set[int] = set()
    after_arrow: set[int] = set()
    contrast: set[int] = set()
    text = _SOFT_BREAK.sub(" ", text)
    text = _PARTICLE_RE.sub(r"\1 ", text)
    text = _ARROW.sub(f" : {_ARROW_WORD} ", text)
    text = _SEPARATING_DASH.sub(" : ", text)
    text = text.replace("\u2191", " rises ").replace("\u2193", " falls ")
    for match in TOKEN_RE.finditer(normalize(text)):
        stop = match.group("stop")
        if stop is not None:
            if stop == "?":
                questions.add(sentence)
            if stop in _SENTENCE_END:
                sentence += 1
            clause += 1
            if stop == ":":
                after_colon.add(clause)
            continue
        if match.group(0) == _ARROW_WORD:
            after_arrow.add(clause)
            continue
        word = match.group("number") or match.group("word")
        if word in CLAUSE_WORDS:
            clause += 1
            contrast.add(clause)
            continue
        word = canonical(word)
        if tokens and tokens[-1].text == "non" and tokens[-1].clause == clause:
            tokens[-1] = Token("non" + word, clause, sentence)
            continue
        tokens.append(Token(word, clause, sentence))
    starts: dict[int, int] = {}
    for index, token in enumerate(tokens):
        starts.setdefault(token.clause, index)
    # A question counts as a claim when the answer goes on ("Is the training loss still
    # falling while the validation loss rises? Then it overfits."), not when it ends with it.
    asked = frozenset(questions)
    answered = {t.sentence for t in tokens if t.sentence not in asked}
    questions = {q for q in questions if not any(a > q for a in answered)}
    return _Tokens(
        tuple(tokens),
        frozenset(questions),
        starts,
        frozenset(after_colon),
        frozenset(after_arrow),
        frozenset(contrast),
        asked,
    )


# --- phrases ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Phrase:
    """One way of saying something: words to match in order, ``*`` for up to two words and
    nested sets (from ``@name`` references) for any of their phrases."""

    source: str
    items: tuple[str | PhraseSet, ...]


@dataclass(eq=False)
class PhraseSet:
    """Alternative phrases; compared and hashed by identity (matches are cached per set)."""

    phrases: tuple[Phrase, ...]
    first: str  # the first phrase as written, for feedback
    _letters: dict[str, tuple[Phrase, ...]] | None = None
    _by_word: dict[str, tuple[Phrase, ...]] = field(default_factory=dict)

    def starting_with(self, word: str, known: frozenset[str]) -> tuple[Phrase, ...]:
        """The phrases whose first word may match ``word`` (cached per set: a set belongs
        to one rubric, so ``known`` is always the same for it)."""
        cached = self._by_word.get(word)
        if cached is not None:
            return cached
        letters = self.first_letters()
        candidates: list[Phrase] = list(letters.get(word[0], ()))
        if len(word) >= _FUZZY_MIN - 1 and word not in known:
            for letter in {word[1]} - {word[0]}:  # a slip in the first letter
                candidates.extend(letters.get(letter, ()))
        result = tuple(phrase for phrase in candidates if _may_start(phrase, word, known))
        if len(self._by_word) > _WORD_CACHE:
            self._by_word.clear()
        self._by_word[word] = result
        return result

    def first_letters(self) -> dict[str, tuple[Phrase, ...]]:
        """The phrases by the first letter of a word they can start with."""
        if self._letters is None:
            letters: dict[str, list[Phrase]] = {}
            for phrase in self.phrases:
                head = phrase.items[0]
                heads = head.first_letters() if isinstance(head, PhraseSet) else {head[0]: ()}
                for letter in heads:
                    letters.setdefault(letter, []).append(phrase)
            self._letters = {letter: tuple(items) for letter, items in letters.items()}
        return self._letters


_WORD_CACHE = 20000
_NO_ENDS: list[tuple[int, bool]] = []


def _may_start(phrase: Phrase, word: str, known: frozenset[str]) -> bool:
    """Can ``phrase`` begin at a text word ``word``?"""
    head = phrase.items[0]
    if isinstance(head, PhraseSet):
        return bool(head.starting_with(word, known))
    if head == "*":
        return True
    last = len(phrase.items) == 1
    return _word_matches(head, word, last, known, len(phrase.items) > 1)[0]


Vocabulary = Mapping[str, Sequence[str]]
_REF_RE = re.compile(r"@([a-z][a-z0-9_]*)")
MAX_PHRASES = 400


class _Compiler:
    """Compiles phrases, sharing one ``PhraseSet`` per vocabulary name."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.named: dict[str, PhraseSet] = {}
        self.trail: list[str] = []

    def named_set(self, name: str) -> PhraseSet:
        if name in self.named:
            return self.named[name]
        if name in self.trail:
            raise ValueError(
                f"the term @{name} refers to itself through @{' -> @'.join(self.trail)}"
            )
        if name not in self.vocabulary:
            raise ValueError(f"unknown term @{name}")
        self.trail.append(name)
        try:
            compiled = self.phrase_set(self.vocabulary[name])
        finally:
            self.trail.pop()
        self.named[name] = compiled
        return compiled

    def phrase_set(self, items: Sequence[str]) -> PhraseSet:
        items = list(items)
        if len(items) > MAX_PHRASES:
            raise ValueError(f"has more than {MAX_PHRASES} phrases")
        return PhraseSet(tuple(self.phrase(item) for item in items), items[0] if items else "")

    def phrase(self, text: str) -> Phrase:
        parts: list[str | PhraseSet] = []
        for index, chunk in enumerate(_REF_RE.split(text.lower())):
            if index % 2 == 1:
                parts.append(self.named_set(chunk))
                continue
            for piece in re.split(r"(\*)", normalize(chunk)):
                if piece == "*":
                    parts.append("*")
                    continue
                for match in TOKEN_RE.finditer(piece):
                    if match.group("stop") is not None:
                        raise ValueError(f"phrase {text!r} contains punctuation that splits it")
                    word = match.group("number") or match.group("word")
                    if word in CLAUSE_WORDS:
                        raise ValueError(
                            f"phrase {text!r} contains the clause-breaking word {word!r}"
                        )
                    word = canonical(word)
                    previous = parts[-1] if parts else None
                    if previous == "non":
                        parts[-1] = "non" + word  # "non linear" is one word, as in the text
                    else:
                        parts.append(word)
        if not [part for part in parts if part != "*"]:
            raise ValueError(f"phrase {text!r} has no letters or digits to match")
        if parts[0] == "*" or parts[-1] == "*":
            raise ValueError(f"phrase {text!r} may not start or end with the wildcard '*'")
        return Phrase(text, tuple(parts))


def compile_phrases(items: Iterable[str], vocabulary: Vocabulary) -> PhraseSet:
    """Compile phrases with ``@name`` references into a set. Raises ValueError."""
    return _Compiler(vocabulary).phrase_set(list(items))


class PhraseCompiler(_Compiler):
    """One compiler per rubric, so each ``@name`` is compiled (and matched) once."""

    def compile(self, items: Iterable[str]) -> PhraseSet:
        return self.phrase_set(list(items))


def covers(phrases: PhraseSet, text: str, known: frozenset[str]) -> bool:
    """Does one of ``phrases`` match the whole of ``text``?"""
    tokens = _tokenize(text)
    matcher = _Matcher(tokens, known)
    return bool(tokens.tokens) and any(
        end == len(tokens.tokens) for end, _ in matcher.ends(phrases, 0)
    )


def known_words(vocabulary: Vocabulary) -> frozenset[str]:
    """Every literal word of a vocabulary: such a word is itself, never another's slip."""
    words: set[str] = set()
    for items in vocabulary.values():
        for item in items:
            for part in _REF_RE.split(item)[::2]:
                for match in TOKEN_RE.finditer(normalize(part)):
                    word = match.group("word")
                    if word and word not in CLAUSE_WORDS:
                        words.add(canonical(word))
    return frozenset(words)


# --- claims -----------------------------------------------------------------------------------


TERM_MODES = ("answer", "action", "mention")


@dataclass(frozen=True, eq=False)
class Claim:
    """A relation (``subject`` + ``predicate``) or a single ``term`` stated as an answer, as an
    action or in any mention (``mode``); ``negative`` claims are stated negated ("the model
    does not generalize")."""

    says: str
    subject: PhraseSet | None = None
    predicate: PhraseSet | None = None
    term: PhraseSet | None = None
    mode: str = "answer"
    negative: bool = False
    about_topic: bool = False  # its subject is the question's topic (``rubric.topic``)


@dataclass(frozen=True)
class ClaimHit:
    """Where a claim was stated (``denied``: stated with the opposite polarity)."""

    claim: Claim
    start: int
    end: int
    evidence: str
    denied: bool
    fuzzy: bool
    inferred_subject: bool = False


@dataclass(frozen=True)
class _Occurrence:
    start: int
    end: int
    fuzzy: bool


@dataclass
class TextClaims:
    """The claims found in one text, with what lowers confidence in them."""

    hits: dict[int, list[ClaimHit]] = field(default_factory=dict)  # id(claim) -> hits
    list_clauses: int = 0
    rubric_words: int = 0
    dangling_subjects: int = 0
    token_count: int = 0
    matcher: _Matcher | None = None

    def stated(self, claim: Claim) -> list[ClaimHit]:
        return [hit for hit in self.hits.get(id(claim), []) if not hit.denied]

    def denied(self, claim: Claim) -> list[ClaimHit]:
        return [hit for hit in self.hits.get(id(claim), []) if hit.denied]


def _inflection(stem: str, ending: str) -> bool:
    """Is ``ending`` an inflection of ``stem``, a doubled last letter allowed ("stopping")?"""
    if ending in _INFLECTIONS:
        return True
    return ending[:1] == stem[-1:] and ending[1:] in _INFLECTIONS


def _transposed(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` the same but for two neighbouring letters swapped ("hihg")?"""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and (a[diff[1]] == b[diff[0]])
    )


def _word_matches(
    pattern: str, word: str, last: bool, known: frozenset[str], multi: bool = False
) -> tuple[bool, bool]:
    """Does text ``word`` match phrase word ``pattern``: (matches, by a spelling slip)?

    Whole, or with a plural ending; as a prefix when the pattern has five or more letters
    (four for a phrase's last word), unless the text word is another vocabulary word that is
    not an inflection of it ("drop" never matches "dropout"); or, for patterns of six or more
    letters, with one slip (Damerau-Levenshtein distance 1) unless the word is a vocabulary
    word in its own right.
    """
    if pattern == word:
        return True, False
    prefix = len(pattern) >= 5 or (last and len(pattern) >= _SHORT_WORD)
    if not prefix:
        return word in (pattern + "s", pattern + "es", pattern + "'s"), False
    if word.startswith(pattern):
        return (word not in known or _inflection(pattern, word[len(pattern) :])), False
    if not word.isalpha() or word in known:
        return False, False
    if len(pattern) < (_FUZZY_MIN - 1 if multi else _FUZZY_MIN):
        slip = len(pattern) >= _SHORT_WORD and _transposed(pattern, word)
        return slip, slip
    lengths = (len(pattern) - 1, len(pattern), len(pattern) + 1)
    slip = any(within_one_edit(pattern, word[:n]) for n in lengths if _SHORT_WORD <= n <= len(word))
    return slip, slip


class _Matcher:
    def __init__(self, tokens: _Tokens, known: frozenset[str]) -> None:
        self.t = tokens
        self.tokens = tokens.tokens
        self.known = known
        self._cache: dict[tuple[int, bool], list[_Occurrence]] = {}
        self._ends: dict[tuple[int, int, bool], list[tuple[int, bool]]] = {}
        self._words: dict[tuple[str, str, bool, bool], tuple[bool, bool]] = {}
        self.shadowing: dict[str, list[tuple[int, int]]] = {}
        self.term_words: set[int] = set()  # the words some term of the rubric matches

    def shadowed(self, start: int, end: int, kind: str) -> bool:
        """Is ``[start, end)`` inside a longer phrase of the rubric: a longer ``kind`` phrase
        ("generalizes" in "generalizes poorly"), or one of the other kind that begins before
        it ("generalization" in "poor generalization")?"""
        return any(
            s <= start and end <= e and e - s > end - start and (other == kind or s < start)
            for other, spans in self.shadowing.items()
            for s, e in spans
        )

    # words

    def _word(self, pattern: str, word: str, last: bool, multi: bool) -> tuple[bool, bool]:
        """(matches, by a spelling slip)."""
        key = (pattern, word, last, multi)
        cached = self._words.get(key)
        if cached is None:
            cached = self._words[key] = _word_matches(pattern, word, last, self.known, multi)
        return cached

    def _walk(
        self,
        items: tuple[str | PhraseSet, ...],
        p: int,
        t: int,
        clause: int,
        fuzzy: bool,
        noun: bool = False,
    ) -> list[tuple[int, bool]]:
        if p == len(items):
            return [(t, fuzzy)]
        item = items[p]
        if item == "*":
            results: list[tuple[int, bool]] = []
            for skip in range(_WILDCARD_MAX + 1):
                end = t + skip
                if end > len(self.tokens) or any(
                    self.tokens[k].clause != clause or self._negator(k) for k in range(t, end)
                ):
                    break
                results.extend(self._walk(items, p + 1, end, clause, fuzzy, noun))
            return results
        if t >= len(self.tokens) or self.tokens[t].clause != clause:
            return []
        if isinstance(item, PhraseSet):
            results = []
            for end, slip in self.ends(item, t, noun):
                results.extend(self._walk(items, p + 1, end, clause, fuzzy or slip, noun))
            return results
        word = self.tokens[t].text
        ok, slip = self._word(item, word, p == len(items) - 1, len(items) > 1)
        if ok and noun and not slip and word != item and word.startswith(item):
            ok = word[len(item) :] in _PLURALS
        if ok and noun and slip and word[: len(item) - 2] == item[: len(item) - 2]:
            # "biased" is no slip for "biases": another ending, not a typo ("trainig")
            ok = not word.endswith(_WORD_ENDINGS)
        return self._walk(items, p + 1, t + 1, clause, fuzzy or slip, noun) if ok else []

    def ends(self, phrases: PhraseSet, start: int, noun: bool = False) -> list[tuple[int, bool]]:
        """Where a phrase of ``phrases`` starting at ``start`` ends (and whether by a slip);
        with ``noun``, words match whole or as plurals only ("bias" is not "biased")."""
        candidates = phrases.starting_with(self.tokens[start].text, self.known)
        if not candidates:
            return _NO_ENDS
        key = (id(phrases), start, noun)
        cached = self._ends.get(key)
        if cached is not None:
            return cached
        found: dict[int, bool] = {}
        clause = self.tokens[start].clause
        for phrase in candidates:
            for end, fuzzy in self._walk(phrase.items, 0, start, clause, False, noun):
                found[end] = found.get(end, True) and fuzzy
        result = sorted(found.items(), key=lambda item: -item[0])
        self._ends[key] = result
        return result

    def occurrences(self, phrases: PhraseSet, noun: bool = False) -> list[_Occurrence]:
        """Every place one of ``phrases`` matches, longest first at each start."""
        key = (id(phrases), noun)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        known = self.known
        result = [
            _Occurrence(start, end, fuzzy)
            for start, token in enumerate(self.tokens)
            if phrases.starting_with(token.text, known)
            for end, fuzzy in self.ends(phrases, start, noun)
        ]
        self._cache[key] = result
        return result

    # negation

    def _negator(self, index: int) -> bool:
        return self._negation_kind(index) == "not"

    def _negation_kind(self, index: int) -> str | None:
        """``"not"`` for a negation word, ``"halt"`` for one that only ends what follows
        ("stops decreasing", "no longer improves"), else None."""
        tokens = self.tokens
        word = tokens[index].text
        nxt = tokens[index + 1] if index + 1 < len(tokens) else None
        same = nxt is not None and nxt.clause == tokens[index].clause
        following = nxt.text if nxt is not None and same else ""
        if word == "not" and following in {"only", "just", "merely"}:
            return None
        if word == "no" and following in {"longer", "more"}:
            return "halt"
        if word in _HALTING_VERBS and same:
            return "halt"
        if is_negation_word(word) or word in _NEGATIVE_PRONOUNS:
            return "not"
        previous = tokens[index - 1].text if index > 0 else ""
        if (word == "than" and previous == "rather") or (word == "of" and previous == "instead"):
            return "not"
        if word in _NEGATING_VERBS and following in {"to", "at", "in"}:
            return "not"
        return None

    def negations(
        self, start: int, end: int, inside: Sequence[tuple[int, int]]
    ) -> tuple[int, bool]:
        """How many negation words stand in ``[start, end)`` outside the ``inside`` spans,
        and whether a halting word ("stops", "no longer") does."""
        clause = self.tokens[min(start, len(self.tokens) - 1)].clause
        count, halted = 0, False
        for index in range(start, end):
            if self.tokens[index].clause != clause or any(s <= index < e for s, e in inside):
                continue
            kind = self._negation_kind(index)
            count += kind == "not"
            halted = halted or kind == "halt"
        return count, halted

    def negated_after(self, end: int) -> bool:
        """'X is not', 'X isn't', 'X will never': a negated verb right after a term."""
        if end == 0 or end > len(self.tokens):
            return False
        clause = self.tokens[end - 1].clause
        for linking, index in enumerate(range(end, min(len(self.tokens), end + 4))):
            token = self.tokens[index]
            if token.clause != clause:
                return False
            if token.text in {"not", "never", "no"}:
                return linking > 0
            if is_negation_word(token.text) and token.text not in _BARE_NEGATORS:
                return True  # "isn't", "doesn't", "cannot"
            if token.text not in _LINKING:
                return False
        return False

    def evidence(self, start: int, end: int) -> str:
        return " ".join(token.text for token in self.tokens[start:end])


_LINKING = frozenset(
    {
        "is", "are", "was", "were", "be", "been", "does", "do", "did", "will", "would",
        "could", "should", "can", "may", "might", "has", "have", "had", "seems", "seem",
        "really", "definitely", "clearly", "probably", "likely", "actually", "certainly",
        "simply", "just", "necessarily", "always",
    }
)  # fmt: skip


_AUXILIARIES = frozenset(
    {"is", "are", "was", "were", "has", "have", "had", "does", "do", "did", "can", "could",
     "will", "would", "should", "may", "might", "must", "isn't", "aren't", "doesn't", "can't"}
)  # fmt: skip


def _finite(word: str) -> bool:
    return (
        word in _IRREGULAR_FINITE
        or word in _AUXILIARIES
        or (
            len(word) > 3
            and (word.endswith("ed") or (word.endswith("s") and not word.endswith("ss")))
        )
    )


def _adjectival(word: str) -> bool:
    return word.endswith(("ing", "er", "ed"))


# Closed-class words: a clause with none of them is not a sentence.
_FUNCTION_WORDS = frozenset(
    {
        "the", "a", "an", "is", "are", "was", "were", "be", "been", "being", "has", "have",
        "had", "does", "do", "did", "will", "would", "can", "could", "should", "may", "might",
        "must", "it", "its", "it's", "they", "their", "them", "this", "that", "these",
        "those", "which", "who", "to", "of", "in", "on", "at", "by", "for", "with", "from",
        "into", "so", "because", "since", "as", "than", "when", "if", "while", "then", "each",
        "every", "per", "not", "no", "you", "we", "i", "i'd", "i'm", "there", "but",
        "after", "before", "until", "over", "up", "down", "out", "off", "too", "very",
    }
)  # fmt: skip
# Words that may stand around a term that is the answer on its own: "an RNN, e.g. an LSTM".
_BARE_ANSWER_WORDS = frozenset(
    {
        "a", "an", "the", "just", "simply", "probably", "likely", "clearly", "definitely",
        "such", "as", "like", "e", "g", "eg", "i", "ie", "for", "example", "or", "and",
        "namely", "specifically", "maybe", "perhaps", "surely", "obviously", "most",
    }
)  # fmt: skip
# Adjectives that may stand before a one-word subject without making a compound of it.
_MODIFIERS = frozenset(
    {
        "high", "low", "final", "overall", "total", "average", "current", "whole", "entire",
        "same", "new", "old", "own", "plain", "simple", "basic", "small", "large", "big",
        "deep", "trained", "neural", "learned", "additional", "extra", "constant", "single",
        "any", "our", "my", "your", "his", "her", "one", "such", "both", "all", "good", "bad",
        "poor", "great", "huge", "tiny", "minimum", "lowest", "highest", "smaller", "larger",
        "first", "last", "next", "previous", "initial", "resulting", "actual", "real", "true",
        "full", "fixed", "stochastic", "vanilla", "standard", "regular", "typical", "recurrent",
        "convolutional", "dense", "hidden", "input", "output", "linear", "logistic",
    }
)  # fmt: skip
_ADVERBS = frozenset(
    {
        "or", "nor", "also", "even", "still", "yet", "now", "thus", "hence", "maybe", "perhaps",
        "probably", "possibly", "likely", "certainly", "often", "sometimes", "always", "usually",
        "typically", "generally", "really", "actually", "basically", "simply", "just", "then",
        "therefore", "so", "here", "there", "instead", "however", "meanwhile", "again",
    }
)  # fmt: skip
_CONJUNCTIONS = frozenset({"and", "then", "so", "because", "since", "as", "which"})
# A contradiction is excused in a hypothetical ("if you had more data, an ANN would be
# better") and in a sequence of states ("the validation loss decreases at first, then rises").
_HYPOTHETICAL = frozenset({"if", "unless", "once", "otherwise", "only"})
_SEQUENCE = frozenset(
    {"first", "initially", "until", "till", "then", "before", "after", "earlier", "later",
     "afterwards", "eventually"}
)  # fmt: skip


@dataclass(frozen=True)
class _Binding:
    subject: _Occurrence
    inferred: bool
    topic: bool = False  # the question's own subject, left unsaid ("Shifts the output.")


_TOPIC = _Occurrence(-1, -1, False)
# Words that may open a sentence whose subject is the question's own: "To offset it."
_TOPIC_OPENERS = frozenset({"to", "by", "just", "simply", "because", "since", "so", "also"})


@dataclass(frozen=True)
class Helpers:
    """The shared phrase sets a term claim is checked with: verbs that propose an action
    ("use", "add"), that say it works ("helps") or harms ("makes it worse")."""

    action: PhraseSet
    helps: PhraseSet
    harms: PhraseSet
    answer_before: PhraseSet  # "it is", "a sign of", "in the": what presents an answer
    answer_after: PhraseSet  # "is happening", "is the problem"
    reported: PhraseSet  # "many think", "some would say": others' claims, not the answer's


def analyse(
    text: str,
    claims: Sequence[Claim],
    *,
    helpers: Helpers,
    vocabulary_words: frozenset[str],
) -> TextClaims:
    """Find where each of ``claims`` is stated or denied in ``text``.

    ``vocabulary_words`` are the words never taken for another word's spelling slip.
    """
    tokens = _tokenize(text)
    matcher = _Matcher(tokens, vocabulary_words)
    result = TextClaims(token_count=len(tokens.tokens))
    if not tokens.tokens:
        return result

    subjects = {id(c.subject): c.subject for c in claims if c.subject is not None}
    predicates = {id(c.predicate): c.predicate for c in claims if c.predicate is not None}
    terms = {id(c.term): c.term for c in claims if c.term is not None}
    spans: list[tuple[int, int]] = []
    for phrase_set in (*subjects.values(), *predicates.values(), *terms.values()):
        spans.extend((o.start, o.end) for o in matcher.occurrences(phrase_set))
    covered = {index for start, end in spans for index in range(start, end)}
    matcher.term_words = {
        i for t in terms.values() for o in matcher.occurrences(t) for i in range(o.start, o.end)
    }
    result.rubric_words = len(covered)
    predicate_spans = [
        (o.start, o.end) for p in predicates.values() for o in matcher.occurrences(p)
    ]
    verbs = [
        (o.start, o.end) for h in (helpers.action, helpers.helps) for o in matcher.occurrences(h)
    ]
    list_clauses = _list_clauses(tokens, spans, covered, predicate_spans, verbs)
    result.list_clauses = len(list_clauses)
    # The longest phrase wins: "generalizes" inside "generalizes poorly" says nothing.
    matcher.shadowing = {
        "predicate": sorted(set(predicate_spans)),
        "term": sorted({(o.start, o.end) for t in terms.values() for o in matcher.occurrences(t)}),
    }
    reported: set[int] = set()
    for o in matcher.occurrences(helpers.reported):
        first = tokens.tokens[o.start]
        for token in tokens.tokens[o.start :]:
            if token.sentence != first.sentence or (
                token.clause != first.clause and token.clause in tokens.contrast
            ):
                break
            reported.add(token.clause)

    def modified(o: _Occurrence) -> bool:
        """A one-word subject after a noun of another kind is part of a compound: "media
        bias", not the bias."""
        if o.end - o.start != 1 or o.start == 0 or tokens.tokens[o.start].text in _PRONOUNS:
            return False
        before = tokens.tokens[o.start - 1]
        if before.clause != tokens.tokens[o.start].clause or o.start - 1 in covered:
            return False
        word = before.text
        return (
            word.isalpha()
            and word not in _FUNCTION_WORDS
            and word not in _MODIFIERS
            and word not in _CONNECTIVES
            and word not in _CONJUNCTIONS
            and word not in _ADVERBS
            and not word.endswith("ly")
        )

    predicate_ends = {end for _, end in predicate_spans}

    def object_of_verb(o: _Occurrence) -> bool:
        """A subject phrase right after a verb is its object: "memorizes the training data"."""
        at = o.start
        if at > 0 and tokens.tokens[at - 1].text in {"the", "a", "an", "its", "their"}:
            at -= 1
        return (
            at in predicate_ends
            and at > 0
            and tokens.tokens[at - 1].clause == tokens.tokens[o.start].clause
            and _finite(tokens.tokens[at - 1].text)
        )

    # A subject phrase inside a predicate phrase is its object: "needs large datasets".
    candidates = sorted(
        {
            (o.start, o.end): o
            for s in subjects.values()
            for o in matcher.occurrences(s, noun=True)
            if tokens.tokens[o.start].clause not in list_clauses
            and not modified(o)
            and not object_of_verb(o)
            and not any(ps < o.start and o.end <= pe for ps, pe in predicate_spans)
        }.values(),
        key=lambda o: (o.end, -o.start),
    )  # fmt: skip

    mentions = sorted(
        {
            (o.start, o.end): o
            for s in subjects.values()
            for o in matcher.occurrences(s, noun=True)
            if tokens.tokens[o.start].clause not in list_clauses
        }.values(),
        key=lambda o: (o.end, -o.start),
    )

    def usable(index: int) -> bool:
        token = tokens.tokens[index]
        return (
            token.clause not in list_clauses
            and token.clause not in reported
            and token.sentence not in tokens.questions
        )

    # Relations first: a term is shadowed only by a predicate that says something of a
    # subject ("the model is overfitting"), not by one left unbound ("the issue is overfitting").
    for claim in claims:
        if claim.term is None:
            hits = _relation_hits(claim, matcher, candidates, mentions, usable)
            if hits:
                result.hits[id(claim)] = hits
    bound_predicates = sorted(
        {(h.start, h.end) for claim_hits in result.hits.values() for h in claim_hits}
    )
    matcher.shadowing["predicate"] = [
        span
        for span in matcher.shadowing["predicate"]
        if any(s <= span[0] and span[1] <= e for s, e in bound_predicates)
    ]
    for claim in claims:
        if claim.term is not None:
            hits = _term_hits(claim, matcher, usable, helpers)
            if hits:
                result.hits[id(claim)] = hits

    bound = {hit.start for claim_hits in result.hits.values() for hit in claim_hits}
    result.dangling_subjects = sum(
        1 for o in candidates if usable(o.start) and o.start not in bound
    )
    result.matcher = matcher
    return result


def excused(hit: ClaimHit, result: TextClaims, stated: Sequence[ClaimHit]) -> bool:
    """Is a contradiction's ``hit`` only hypothetical, or an earlier state of the same subject
    followed by the right one in the same sentence ("it decreases at first, then rises")?"""
    matcher = result.matcher
    if matcher is None:
        return False
    tokens = matcher.tokens
    clause = tokens[hit.start].clause
    clause_tokens = [i for i, t in enumerate(tokens) if t.clause == clause]

    def following(i: int) -> str:
        return tokens[i + 1].text if i + 1 < len(tokens) else ""

    hypothetical = {
        tokens[i].text
        for i in clause_tokens
        if not (tokens[i].text == "if" and following(i) == "else")
        and not (tokens[i].text == "only" and following(i) not in {"if", "when", "with", "once"})
    }
    if hypothetical & _HYPOTHETICAL:
        return True
    if hit.claim.subject is None:
        return False
    sentence = tokens[hit.start].sentence
    sentence_words = {t.text for t in tokens if t.sentence == sentence}
    return bool(sentence_words & _SEQUENCE) and any(
        tokens[other.start].sentence == sentence
        and other.start != hit.start
        and other.claim.subject is not None
        and other.claim.subject.first == hit.claim.subject.first
        for other in stated
    )


def _list_clauses(
    tokens: _Tokens,
    spans: list[tuple[int, int]],
    covered: set[int],
    predicate_spans: list[tuple[int, int]],
    verb_spans: list[tuple[int, int]],
) -> set[int]:
    """Clauses that only list rubric words: three or more, or one-item clauses in a row."""
    by_clause: dict[int, list[int]] = {}
    for index, token in enumerate(tokens.tokens):
        by_clause.setdefault(token.clause, []).append(index)
    items: dict[int, int] = {}
    bare: dict[int, bool] = {}
    for clause, indices in by_clause.items():
        if not all(i in covered or tokens.tokens[i].text in _LIST_FILLERS for i in indices):
            bare[clause] = False
            continue
        count, position = 0, -1
        for start, end in sorted(spans):
            if start in indices and start >= position:
                count += 1
                position = end
        items[clause] = count
        verbs = {i for start, end in predicate_spans for i in range(start, end)}
        bare[clause] = count > 0 and not any(
            _finite(tokens.tokens[i].text)
            for i in indices
            if i in verbs or tokens.tokens[i].text in _AUXILIARIES
        )
    for clause, indices in by_clause.items():
        if clause in items:
            continue
        # Not every word is the rubric's, but no word makes a sentence of them either:
        # "noisy fixed learning rate many steps slow".
        words = {tokens.tokens[i].text for i in indices}
        count = len({start for start, _ in spans if start in indices})
        has_verb = any(start in indices for start, _ in verb_spans)
        if (
            count >= 3
            and not has_verb
            and not words & _FUNCTION_WORDS
            and 2 * len([i for i in indices if i in covered]) >= len(indices)
        ):
            items[clause] = count
            bare[clause] = True
    listed = {clause for clause, count in items.items() if count >= 3 and bare[clause]}
    by_sentence: dict[int, list[int]] = {}
    for clause, indices in by_clause.items():
        by_sentence.setdefault(tokens.tokens[indices[0]].sentence, []).append(clause)
    for clauses in by_sentence.values():
        # A comma list of short items none of which has a verb: "first layer, features,
        # columns, input shape".
        short = [c for c in clauses if len(by_clause[c]) <= 3]
        if (
            len(clauses) >= 3
            and len(short) == len(clauses)
            and not any(
                tokens.tokens[i].text in _AUXILIARIES
                or ((i, i + 1) in predicate_spans and tokens.tokens[i].text.endswith("s"))
                or any(s <= i < e for s, e in verb_spans)
                for c in clauses
                for i in by_clause[c]
            )
        ):
            listed.update(clauses)
        one_item = [
            c for c in clauses if bare.get(c) and items.get(c, 0) == 1 and len(by_clause[c]) <= 2
        ]
        if len(one_item) >= 3:
            listed.update(one_item)
    return listed


def _nearest(occurrences: list[_Occurrence], clause: int, tokens, before: int, after: int,
             ) -> _Occurrence | None:  # fmt: skip
    """The occurrence ending at most ``after`` words before ``before``, in ``clause``."""
    best = None
    for o in occurrences:
        if tokens[o.start].clause == clause and o.end <= before and before - o.end <= after:
            best = o if best is None or o.end > best.end else best
    return best


def _term_hits(
    claim: Claim, matcher: _Matcher, usable: Callable[[int], bool], helpers: Helpers
) -> list[ClaimHit]:
    assert claim.term is not None
    tokens = matcher.tokens
    hits: list[ClaimHit] = []
    occurrences = matcher.occurrences(claim.term)
    for occurrence in occurrences:
        if not usable(occurrence.start) or matcher.shadowed(
            occurrence.start, occurrence.end, "term"
        ):
            continue
        clause = tokens[occurrence.start].clause
        clause_start = matcher.t.clause_starts[clause]
        start, end = occurrence.start, occurrence.end
        inside = [(start, end)]
        if claim.mode == "action":
            verb = _nearest(matcher.occurrences(helpers.action), clause, tokens, start, 6)
            helper = next(
                (
                    o
                    for o in matcher.occurrences(helpers.helps)
                    if tokens[o.start].clause == clause and 0 <= o.start - end <= 3
                ),
                None,
            )
            if verb is not None:
                start = verb.start
                inside.append((verb.start, verb.end))
            elif helper is not None:
                end = helper.end
                inside.append((helper.start, helper.end))
            elif not _proposed(matcher, occurrence):
                continue
        elif claim.mode == "answer" and not _as_answer(matcher, occurrence, occurrences, helpers):
            continue
        harm = next(
            (
                o
                for o in matcher.occurrences(helpers.harms)
                if tokens[o.start].clause == clause and 0 <= o.start - occurrence.end <= 3
            ),
            None,
        )
        window = _after_conjunction(matcher, clause_start, start)
        negations, halted = matcher.negations(window, end, inside)
        if halted and not claim.negative:
            continue
        if halted or harm is not None:
            negations += 1
        if claim.mode != "action" and matcher.negated_after(occurrence.end):
            negations += 1
        denied = (negations % 2 == 1) != claim.negative
        if denied and claim.mode == "mention":
            continue  # a negated mention ("unlike fixed rules") states nothing either way
        hits.append(
            ClaimHit(claim, start, end, matcher.evidence(start, end), denied, occurrence.fuzzy)
        )
    return hits


_FIX_WORDS = frozenset(
    {
        "fix", "fixes", "fixed", "fixing", "remedy", "remedies", "solution", "solutions",
        "solve", "cure", "prevent", "help", "treatment", "options", "avoid", "counter",
        "do", "action", "actions", "approach", "handle", "mitigate", "mitigation",
    }
)  # fmt: skip


def _proposed(matcher: _Matcher, occurrence: _Occurrence) -> bool:
    """Is a term at the start of its clause proposed by what comes before: an arrow
    ("overfitting -> dropout"), "Fix:", or a question such as "What would fix it?"."""
    tokens = matcher.tokens
    clause = tokens[occurrence.start].clause
    if matcher.t.clause_starts[clause] != occurrence.start:
        return False
    if clause in matcher.t.after_arrow:
        return True
    before = [t.text for t in tokens[: occurrence.start]]
    if clause in matcher.t.after_colon and before:
        previous = tokens[occurrence.start - 1].clause
        words = {t.text for t in tokens if t.clause == previous}
        if words & _FIX_WORDS:
            return True
    sentence = tokens[occurrence.start].sentence
    first = next(i for i, t in enumerate(tokens) if t.sentence == sentence)
    if first != occurrence.start or sentence == 0:
        return False
    asked = {t.text for t in tokens if t.sentence == sentence - 1}
    if sentence - 1 in matcher.t.asked and asked & _FIX_WORDS:
        return True
    # A list under a heading: "Fix:\n- dropout\n- early stopping".
    for earlier in range(sentence - 1, max(-1, sentence - 8), -1):
        heading = [t.text for t in tokens if t.sentence == earlier]
        if len(heading) <= 2 and set(heading) & _FIX_WORDS:
            return True
        if len(heading) > 4:
            return False
    return False


def _as_answer(
    matcher: _Matcher, occurrence: _Occurrence, siblings: list[_Occurrence], helpers: Helpers
) -> bool:
    """Does the term stand as the answer: alone in its clause, after "it is", "a sign of",
    "in the", or before "is happening"?"""
    tokens = matcher.tokens
    clause = tokens[occurrence.start].clause
    if _nearest(matcher.occurrences(helpers.answer_before), clause, tokens, occurrence.start, 2):
        return True
    if any(
        o.start == occurrence.end and tokens[o.start].clause == clause
        for o in matcher.occurrences(helpers.answer_after)
    ):
        return True
    clause_start = matcher.t.clause_starts[clause]
    others = {
        tokens[i].text
        for i in range(clause_start, len(tokens))
        if tokens[i].clause == clause
        and not (occurrence.start <= i < occurrence.end)
        and not any(o.start <= i < o.end for o in siblings)
        and not (i in matcher.term_words and not _finite(tokens[i].text))
    }
    # Other terms may stand beside it ("overfitting or underfitting"), and a final "is":
    # "Overfitting is not the problem, underfitting is."
    return others <= _BARE_ANSWER_WORDS or others == {"is"} or others == {"it", "is"}


def _after_conjunction(matcher: _Matcher, low: int, high: int) -> int:
    """The index after the last conjunction in ``[low, high)``, or ``low``: negation before a
    conjunction belongs to the claim before it."""
    for index in range(high - 1, low - 1, -1):
        if matcher.tokens[index].text in _CONJUNCTIONS:
            if index > low and matcher._negator(index - 1):
                return index - 1  # "not because ...": the negation is the reason's
            return index + 1
    return low


def _relation_hits(
    claim: Claim,
    matcher: _Matcher,
    candidates: list[_Occurrence],
    mentions: list[_Occurrence],
    usable: Callable[[int], bool],
) -> list[ClaimHit]:
    assert claim.subject is not None and claim.predicate is not None
    tokens = matcher.tokens
    mine = {(o.start, o.end): o for o in matcher.occurrences(claim.subject, noun=True)}
    hits: list[ClaimHit] = []
    last_in_clause: dict[int, _Occurrence] = {}
    for candidate in candidates:
        last_in_clause[tokens[candidate.start].clause] = candidate
    for predicate in matcher.occurrences(claim.predicate):
        if not usable(predicate.start) or matcher.shadowed(
            predicate.start, predicate.end, "predicate"
        ):
            continue
        binding = _bind(predicate, matcher, candidates, last_in_clause, mentions)
        if binding is None:
            continue
        found: _Occurrence | None
        if binding.topic:
            found = (
                _Occurrence(predicate.start, predicate.start, False) if claim.about_topic else None
            )
        else:
            found = mine.get((binding.subject.start, binding.subject.end))
        if found is None:
            continue
        subject = found
        clause_start = matcher.t.clause_starts[tokens[predicate.start].clause]
        if binding.topic:
            start, end = predicate.start, predicate.end
            windows = [(_after_conjunction(matcher, clause_start, start), end)]
        elif binding.inferred:
            start, end = subject.start, predicate.end
            windows = [(_after_conjunction(matcher, clause_start, predicate.start), end)]
        elif subject.start < predicate.start:
            start, end = subject.start, predicate.end
            # Negation before the subject reaches every predicate of it ("nothing suggests
            # the loss goes down and levels off"); between, only up to a conjunction.
            windows = [
                (_after_conjunction(matcher, clause_start, subject.start), subject.start),
                (_after_conjunction(matcher, subject.end, predicate.start), end),
            ]
        else:
            start, end = predicate.start, subject.end
            windows = [(_after_conjunction(matcher, clause_start, predicate.start), end)]
        inside = [(subject.start, subject.end), (predicate.start, predicate.end)]
        negations, halted = 0, False
        for low, high in windows:
            count, stop = matcher.negations(low, high, inside)
            negations += count
            halted = halted or stop
        if halted and not claim.negative:
            continue
        negations += halted
        denied = (negations % 2 == 1) != claim.negative
        evidence = (
            f"{matcher.evidence(subject.start, subject.end)} … "
            f"{matcher.evidence(predicate.start, predicate.end)}"
            if binding.inferred and not binding.topic
            else matcher.evidence(start, end)
        )
        hits.append(
            ClaimHit(
                claim, start, end, evidence, denied, subject.fuzzy or predicate.fuzzy,
                binding.inferred,
            )
        )  # fmt: skip
    return hits


def _attributive(
    predicate: _Occurrence, matcher: _Matcher, candidates: list[_Occurrence]
) -> _Occurrence | None:
    """The subject a one-word predicate stands right before as its adjective: "a high
    training loss", "the rising validation loss"."""
    tokens = matcher.tokens
    if predicate.end - predicate.start != 1:
        return None
    word = tokens[predicate.start].text
    previous = tokens[predicate.start - 1].text if predicate.start > 0 else ""
    if word.endswith(("ing", "s", "ed")) and previous not in {"a", "an", "the", "its", "their"}:
        return None
    after = [
        o
        for o in candidates
        if o.start == predicate.end and tokens[o.start].clause == tokens[predicate.start].clause
    ]
    return max(after, key=lambda o: o.end) if after else None


def _antecedent(
    pronoun: _Occurrence,
    tokens: Sequence[Token],
    mentions: list[_Occurrence],
    subjects: list[_Occurrence],
) -> _Occurrence | None:
    """What a pronoun stands for: "which" and "that" the subject phrase right before them
    (objects included); "it", "they" and "this" the sentence's topic, its first subject
    phrase (the previous sentence's when the pronoun comes first)."""
    sentence = tokens[pronoun.start].sentence

    def named(o: _Occurrence) -> bool:
        return not (o.end - o.start == 1 and tokens[o.start].text in _PRONOUNS)

    if tokens[pronoun.start].text in {"which", "that"}:
        earlier = [
            o
            for o in mentions
            if o.end <= pronoun.start and tokens[o.start].sentence == sentence and named(o)
        ]
        return max(earlier, key=lambda o: (o.end, -o.start)) if earlier else None
    for wanted in (sentence, sentence - 1):
        firsts = [
            o for o in subjects if tokens[o.start].sentence == wanted and o.end <= pronoun.start
        ]
        if firsts:
            first = min(firsts, key=lambda o: (o.start, -o.end))
            return first if named(first) else None  # "It ..., and it ...": the same it
    return None


def _bind(
    predicate: _Occurrence,
    matcher: _Matcher,
    candidates: list[_Occurrence],
    last_in_clause: dict[int, _Occurrence],
    mentions: list[_Occurrence],
) -> _Binding | None:
    """The subject ``predicate`` says something about, or None."""
    tokens = matcher.tokens
    clause = tokens[predicate.start].clause
    before = [
        o for o in candidates if o.end <= predicate.start and tokens[o.start].clause == clause
    ]
    attributive = _attributive(predicate, matcher, candidates)
    if attributive is not None:
        return _Binding(attributive, False)
    if before:
        best_end = max(o.end for o in before)
        nearest = min((o for o in before if o.end == best_end), key=lambda o: o.start)
        if predicate.start - nearest.end > _MAX_BIND_GAP:
            return None
        if nearest.end - nearest.start == 1 and tokens[nearest.start].text in _PRONOUNS:
            antecedent = _antecedent(nearest, tokens, mentions, candidates)
            if antecedent is not None:
                return _Binding(antecedent, True)
        return _Binding(nearest, False)
    after = [o for o in candidates if o.start >= predicate.end and tokens[o.start].clause == clause]
    if after:
        first_start = min(o.start for o in after)
        nearest = max((o for o in after if o.start == first_start), key=lambda o: o.end)
        gap = [tokens[i].text for i in range(predicate.end, nearest.start)]
        adjective = (
            _adjectival(tokens[predicate.end - 1].text) or predicate.end - predicate.start == 1
        )
        if (adjective and set(gap) <= {"the", "a", "an", "its", "their"} and len(gap) <= 1) or (
            gap and gap[0] in {"in", "of"} and len(gap) <= 2 and set(gap[1:]) <= {"the", "a"}
        ):
            return _Binding(nearest, False)
    # No subject of its own: a clause opening with a connective or a pronoun, or following a
    # colon, continues the subject of the clause before it ("..., and then flattens out").
    clause_start = matcher.t.clause_starts[clause]
    opening = [tokens[i].text for i in range(clause_start, predicate.start)]
    sentence_start = next(
        i for i, t in enumerate(tokens) if t.sentence == tokens[clause_start].sentence
    )
    if clause_start == sentence_start and set(opening) <= _TOPIC_OPENERS:
        return _Binding(_TOPIC, True, topic=True)
    colon = clause in matcher.t.after_colon or clause in matcher.t.contrast
    if not colon and (
        not opening
        or not all(word in _CONNECTIVES for word in opening)
        or not set(opening) - {"the", "a", "an"}
    ):
        return None
    sentence = tokens[predicate.start].sentence
    for earlier in range(clause - 1, -1, -1):
        start = matcher.t.clause_starts.get(earlier)
        if start is None:
            continue
        if tokens[start].sentence != sentence and (
            not set(opening) & _PRONOUNS or tokens[start].sentence != sentence - 1
        ):
            return None
        subject = last_in_clause.get(earlier)
        if subject is not None:
            return _Binding(subject, True)
    return None
