"""The key phrases of a question's answer, to check that a text does not give them away.

A hint, a task statement or any text shown before the answer is earned must not contain what
a student could copy as the answer. This module says what that is, robustly enough to catch a
reworded copy and loosely enough to let a hint speak about the topic:

- **Words** are normalised: HTML tags dropped, NFKC, lower case, accents stripped, a hyphen
  or dash is a space and ``non`` joins the next word (``non-linear`` = ``nonlinear``), then
  each word is reduced to a crude stem (``overfitting`` = ``overfit``, ``regularization`` =
  ``regulariz``, ``decreases`` = ``decreas``). Function words (``the``, ``is``, ``more``...)
  are dropped; what is left are the *content words*.
- **Clauses** end at punctuation (``. , ; : ! ? ( ) [ ]``, a dash, a blank line), so a
  phrase never spans two of them.
- The **key phrases of an answer text** (a model answer, an explanation's answer-bearing
  sentence) are, per clause: its one content word when it has only one (``Overfitting.``,
  ``Softmax.``), else every pair of neighbouring content words (``early stop``,
  ``poor predict``, ``logist regress``). A phrase made only of words the prompt already uses
  or of the course's everyday words (``model``, ``data``, ``training``, ``layer``...) is left
  out: it gives nothing away.
- The **right options** of a choice question give their whole content-word sequence as one
  phrase when short (up to 3 words: ``softmax``, ``first dens layer``), else their pairs.
- **Numbers**: the answer of a numeric or parametrized question in the usual roundings, and
  every number of the model answer that the prompt does not already give.

``find_giveaways(text, phrases)`` lists the phrases a text contains (as consecutive content
words of one clause). Pure Python, no database: the tests run it over every question of the
course and every task statement.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AnswerPhrases",
    "answer_phrases",
    "content_clauses",
    "find_giveaways",
    "number_forms",
    "stem",
]

Phrase = tuple[str, ...]

STOPWORDS = frozenset(
    """
    a an the and or but nor so yet if then than that this these those there here it its it's
    is are was were be been being am do does did done doing has have had having can could may
    might will would shall should must get gets got getting make makes made use uses used
    using to of in on at by for from with without into onto over under about as up down out
    off through between after before during until while because since also just only very too
    much many more most less least some any each every all both either neither such what which
    who whom whose when where why how i you he she we they me him her us them my your his our
    their mine yours not no never always often still again already even own same other another
    s t re ve ll d let lets try tries tried one ones way thing things mean means meaning
    like well few several instead rather usually typically exactly eventually especially
    """.split()  # noqa: SIM905
)
_TAG_RE = re.compile(r"<[^>]+>")
_DASH_RE = re.compile(r"[\u2010-\u2015\u2212-]")
# A clause ends at punctuation; a dot or comma between digits (0.622, 1,000) does not end it.
_CLAUSE_RE = re.compile(r"(?<!\d)[.,](?!\d)|[.,](?=\s|$)|[;:!?()\[\]\u2014\u2013]|\n\s*\n")
_WORD_RE = re.compile(r"[a-z0-9]+(?:\.\d+)?(?:'[a-z]+)?")
_SUFFIXES = (
    "isations",
    "izations",
    "isation",
    "ization",
    "ational",
    "ations",
    "ation",
    "ically",
    "ities",
    "ingly",
    "ness",
    "ments",
    "ment",
    "ings",
    "ing",
    "ised",
    "ized",
    "ises",
    "izes",
    "ise",
    "ize",
    "ies",
    "ied",
    "ity",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "al",
    "s",
    "e",
    "y",
)


def stem(word: str) -> str:
    """A crude stem: enough to make ``overfitting``/``overfits`` and ``generalise``/
    ``generalization`` the same word. Numbers and short words are kept whole."""
    word = word.removesuffix("'s")
    if not word.isalpha() or len(word) <= 3:
        return word
    if len(word) == 4:  # rows -> row, but loss, bias, plus stay
        return (
            word[:-1]
            if word.endswith("s") and not word.endswith(("ss", "us", "is", "as"))
            else word
        )
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # overfitt -> overfit, stopp -> stop
    if word.endswith("is") and len(word) > 6:
        word = word[:-2] + "iz"  # regularis -> regulariz, memoris -> memoriz
    return word


# Words of the course's everyday vocabulary: a pair made only of them (and of the prompt's
# words) is not a giveaway ("training data", "neural network", "dense layer").
GENERIC = frozenset(
    stem(word)
    for word in """
    model models data dataset network networks neural ann anns layer layers dense input inputs
    output outputs train training trained learn learning learns learned value values weight
    weights number numbers loss epoch epochs neuron neurons prediction predictions predict
    feature features
    """.split()  # noqa: SIM905
)


def _plain(text: str) -> str:
    text = html.unescape(_TAG_RE.sub(" ", text))
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace("\u2019", "'").replace("\u2018", "'")


def content_clauses(text: str, *, stopwords: frozenset[str] = STOPWORDS) -> list[list[str]]:
    """The text's clauses, each as its list of stemmed content words (HTML is fine)."""
    clauses: list[list[str]] = []
    for clause in _CLAUSE_RE.split(_plain(text)):
        words = _WORD_RE.findall(_DASH_RE.sub(" ", clause).replace("_", " "))
        joined: list[str] = []
        for word in words:
            if joined and joined[-1] == "non":
                joined[-1] = "non" + word
            else:
                joined.append(word)
        content = [stem(word) for word in joined if word not in stopwords]
        if content:
            clauses.append(content)
    return clauses


def _words(text: str) -> set[str]:
    return {word for clause in content_clauses(text) for word in clause}


def _text_phrases(text: str, *, given: set[str]) -> set[Phrase]:
    """The key phrases of an answer text: lone content words of a clause, else neighbouring
    pairs; none made only of ``given`` or everyday words."""
    ordinary = given | GENERIC
    phrases: set[Phrase] = set()
    for clause in content_clauses(text):
        candidates = [(clause[0],)] if len(clause) == 1 else list(itertools.pairwise(clause))
        for phrase in candidates:
            if not all(word in ordinary or _is_number(word) for word in phrase):
                phrases.add(phrase)
    return phrases


_OPTION_STOPWORDS = frozenset(
    STOPWORDS - {"not", "no", "never", "always", "only", "all", "both", "more", "less"}
)


def _option_phrases(text: str, *, given: set[str]) -> set[Phrase]:
    words = [
        word for clause in content_clauses(text, stopwords=_OPTION_STOPWORDS) for word in clause
    ]
    if not words:
        return set()
    if len(words) <= 3:
        return {tuple(words)}
    ordinary = given | GENERIC | {"not", "no", "never", "always", "only", "all", "both"}
    return {
        pair for pair in itertools.pairwise(words) if not all(word in ordinary for word in pair)
    }


def _is_number(word: str) -> bool:
    return bool(word) and word[0].isdigit()


def number_forms(value: float) -> set[str]:
    """How an answer value may be written: whole, or rounded to 2, 3 or 4 decimals."""
    forms = {f"{value:.{decimals}f}".rstrip("0").rstrip(".") for decimals in (2, 3, 4)}
    if float(value).is_integer():
        forms.add(str(int(value)))
    forms.add(f"{value:g}")
    return {form.lstrip("-") for form in forms if form not in ("", "0", "-0")}


def _numbers(text: str) -> set[str]:
    return {word for clause in content_clauses(text) for word in clause if _is_number(word)}


def _sentences(text: str) -> list[str]:
    plain = _plain(text)
    return [part for part in re.split(r"(?<=[.!?])\s+|\n\s*\n", plain) if part.strip()]


@dataclass(frozen=True)
class AnswerPhrases:
    """What gives a question's answer away: ``phrases`` (tuples of stemmed content words)
    and ``numbers`` (answer values as written)."""

    phrases: frozenset[Phrase]
    numbers: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.phrases or self.numbers)


def answer_phrases(
    *,
    kind: str,
    prompt: str,
    model_answer: str,
    explanation: str = "",
    config: Mapping[str, Any] | None = None,
    answer_values: Iterable[float] = (),
) -> AnswerPhrases:
    """The key phrases of a question's answer (texts may be Markdown or HTML).

    ``config`` gives the right options (``choices`` with ``correct: true``) and a numeric
    ``answer``; ``answer_values`` adds values such as a parametrized question's variants'.
    A numeric or parametrized question's answer is its value: only numbers count for them
    (their model answer states the method, which the lesson's text teaches anyway).
    The explanation's *answer-bearing sentences* are those holding a phrase of the model
    answer or of a right option; their phrases count too.
    """
    values = list(answer_values)
    answer = (config or {}).get("answer")
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        values.append(float(answer))
    numbers: set[str] = set()
    for value in values:
        numbers |= number_forms(value)
    if kind in ("numeric", "parametrized"):
        if kind == "numeric":
            numbers |= _numbers(model_answer) - _numbers(prompt)
        return AnswerPhrases(frozenset(), frozenset(numbers))
    given = _words(prompt)
    phrases = _text_phrases(model_answer, given=given)
    for option in (config or {}).get("choices") or []:
        if isinstance(option, Mapping) and option.get("correct"):
            phrases |= _option_phrases(str(option.get("text", "")), given=given)
    if explanation:
        for sentence in _sentences(explanation):
            if find_giveaways(sentence, AnswerPhrases(frozenset(phrases), frozenset())):
                phrases |= _text_phrases(sentence, given=given)
    numbers |= _numbers(model_answer) - _numbers(prompt)
    return AnswerPhrases(frozenset(phrases), frozenset(numbers))


def find_giveaways(text: str, key: AnswerPhrases) -> list[str]:
    """The key phrases (and numbers) that ``text`` contains, sorted; empty when none."""
    found: set[str] = set()
    clauses = content_clauses(text)
    words = {word for clause in clauses for word in clause}
    for phrase in key.phrases:
        if not set(phrase) <= words:
            continue
        size = len(phrase)
        if any(
            tuple(clause[i : i + size]) == phrase
            for clause in clauses
            for i in range(len(clause) - size + 1)
        ):
            found.add(" ".join(phrase))
    found |= {number for number in key.numbers if number in words}
    return sorted(found)
