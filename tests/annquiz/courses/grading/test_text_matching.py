"""The free-text matcher: normalisation, prefixes, spelling variants, negation, clauses."""

from __future__ import annotations

import random

import pytest

from annquiz.courses.grading.text import (
    Token,
    _match_compound,
    _match_tokens,
    compile_pattern,
    damerau_levenshtein,
    find_matches,
    index_tokens,
    normalize,
    tokenize,
    within_one_edit,
)


def asserted(pattern: str, text: str) -> bool:
    return any(not m.negated for m in find_matches(compile_pattern(pattern), tokenize(text)))


def mentioned(pattern: str, text: str) -> bool:
    return bool(find_matches(compile_pattern(pattern), tokenize(text)))


def test_normalize_folds_case_accents_width_and_dashes() -> None:
    assert normalize("NAÏVE Régularisation") == "naive regularisation"
    assert (
        normalize("\uff4f\uff56\uff45\uff52\uff46\uff49\uff54") == "overfit"
    )  # full-width letters (NFKC)
    assert normalize("non\u2011linear \u2014 isn\u2019t") == "non linear   isn't"


def test_non_joins_the_next_word_so_all_spellings_tokenize_alike() -> None:
    spellings = ["non-linear", "non linear", "nonlinear", "Non\u2010Linear", "NON_LINEAR"]
    assert {tuple(t.text for t in tokenize(s)) for s in spellings} == {("nonlinear",)}


def test_clauses_split_at_punctuation_and_but_but_not_inside_identifiers() -> None:
    tokens = tokenize("Use model.fit(x), but not dropout; 0.5 is fine")
    by_text = {t.text: t.clause for t in tokens}
    assert by_text["model"] == by_text["fit"] == by_text["use"]
    assert by_text["not"] != by_text["fit"]
    assert "but" not in by_text
    assert by_text["0.5"] != by_text["dropout"]


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("overfit", "The model is overfitting"),
        ("overfit", "it overfits"),
        ("overfit", "It OVERFITTED badly"),
        ("non-linear", "nonlinear relationships"),
        ("nonlinear", "non linear relationships"),
        ("non linear", "Non-linearity matters"),
        ("early stopping", "use earlystopping"),
        ("dropout", "add drop out layers"),
        ("rnn", "RNNs handle sequences"),
        ("rnn", "an RNN's hidden state"),
        ("use * ann", "I would use an ANN"),
        ("use * ann", "use ann"),
        ("in * last * layer", "in the last Dense layer"),
    ],
)
def test_patterns_match_prefixes_compounds_plurals_and_wildcards(pattern: str, text: str) -> None:
    assert asserted(pattern, text)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("ann", "annual rainfall data"),  # short patterns match whole words only
        ("cnn", "cnnx"),
        ("linear", "non-linear relationships"),  # "non" belongs to the word
        ("overfit", "underfitting"),
        ("fit", "fitting"),
        ("use * ann", "use logistic regression and a simple ann"),  # more than two words between
        ("overfit", "over. fitting"),  # never across a clause
        ("early stopping", "early, stopping"),
    ],
)
def test_patterns_do_not_match_other_words(pattern: str, text: str) -> None:
    assert not mentioned(pattern, text)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("overfitting", "the model is overfiting"),  # deletion
        ("overfitting", "the model is overffitting"),  # insertion
        ("non-linear", "a nonlinaer relationship"),  # transposition
        ("regularization", "L2 regularisation"),  # substitution
        ("dropout", "use dropuot"),
        ("memorizes", "it memorises the data"),
    ],
)
def test_one_spelling_slip_is_tolerated_in_long_words(pattern: str, text: str) -> None:
    assert asserted(pattern, text)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("l2", "l1"),  # words with digits are exact
        ("l2 regularization", "l1 regularization"),
        ("cnn", "rnn"),  # short words are exact
        ("overfitting", "ovrefiting"),  # two slips
        ("sequential", "sequence"),
    ],
)
def test_short_words_digits_and_two_slips_are_not_tolerated(pattern: str, text: str) -> None:
    assert not mentioned(pattern, text)


def test_damerau_levenshtein_counts_transpositions_as_one_edit() -> None:
    assert damerau_levenshtein("nonlinear", "nonlinaer") == 1
    assert damerau_levenshtein("abc", "abc") == 0
    assert damerau_levenshtein("kitten", "sitting", bound=5) == 3
    assert damerau_levenshtein("overfitting", "underfitting") == 2  # capped at bound + 1


def test_within_one_edit_agrees_with_the_distance_table() -> None:
    rng = random.Random(0)
    alphabet = "abcd"
    for _ in range(3000):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        b = list(a)
        for _ in range(rng.randint(0, 2)):
            op = rng.randint(0, 3)
            position = rng.randint(0, len(b))
            if op == 0:
                b.insert(position, rng.choice(alphabet))
            elif op == 1 and position < len(b):
                del b[position]
            elif op == 2 and position < len(b):
                b[position] = rng.choice(alphabet)
            elif position + 1 < len(b):
                b[position], b[position + 1] = b[position + 1], b[position]
        other = "".join(b)
        assert within_one_edit(a, other) == (damerau_levenshtein(a, other) <= 1), (a, other)


def scan(pattern: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Try the pattern at every position, with no index or first-letter filter."""
    compiled = compile_pattern(pattern)
    spans: list[tuple[int, int]] = []
    covered = 0
    for start in range(len(tokens)):
        if start < covered:
            continue
        end = _match_tokens(compiled.tokens, tokens, start)
        if end is None:
            end = _match_compound(compiled, tokens, start)
        if end is not None:
            spans.append((start, end))
            covered = end
    return spans


@pytest.mark.parametrize(
    "pattern",
    ["overfit", "underfit", "dropout", "early stopping", "l2 regularization", "not generaliz",
     "nonlinear", "cnn", "a cnn", "over fitting", "regularization", "memorizes", "use * cnn"],
)  # fmt: skip
def test_the_index_finds_every_match_a_full_scan_finds(pattern: str) -> None:
    tokens = tokenize(
        "Overfiting, not underfitting; no drop out. Use earlystopping or l2 regularisation, "
        "since the model doesn't generalize and over fits. A non-linear CNN? Not a CNN. "
        "It memorises; ovrefitting; rgularization; eoverfit; use a big cnn."
    )
    found = [(m.start, m.end) for m in find_matches(compile_pattern(pattern), tokens)]
    assert found == scan(pattern, tokens)
    assert found, pattern
    index = index_tokens(tokens)
    assert [(m.start, m.end) for m in find_matches(compile_pattern(pattern), tokens, index)] == (
        found
    )


@pytest.mark.parametrize(
    "text",
    [
        "it is not overfitting",
        "no overfitting here",
        "it isn't overfitting",
        "it isnt overfitting",
        "there is never any overfitting",
        "neither overfitting nor underfitting",
        "the model is without overfitting",
        "overfitting is not the problem, underfitting is",
        "overfitting isn't happening",
        "overfitting does not occur",
        "I don't think it's overfitting",
        "this cannot be overfitting",
        "underfitting rather than overfitting",
        "underfitting instead of overfitting",
    ],
)
def test_negated_mentions_do_not_count(text: str) -> None:
    assert mentioned("overfit", text)
    assert not asserted("overfit", text)


@pytest.mark.parametrize(
    "text",
    [
        "It is overfitting, not underfitting",
        "it's overfitting not underfitting",
        "No, it is overfitting",
        "It is not underfitting but overfitting",
        "not only overfitting but also noise",
        "It does not generalize. Overfitting!",
        "the loss is not improving because of overfitting",  # negator more than 3 words before
    ],
)
def test_negation_stays_in_its_clause_and_window(text: str) -> None:
    assert asserted("overfit", text)


def test_a_negated_pattern_matches_only_negated_mentions() -> None:
    for text in [
        "it doesn't generalize",
        "it does not generalise to new data",
        "the model can't generalize",
        "memorizes rather than generalizing",
    ]:
        assert asserted("not generaliz", text), text
    assert not asserted("not generaliz", "it generalizes well")


def test_the_wildcard_never_skips_a_negation() -> None:
    assert not mentioned("use * ann", "use LR not ANN")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("!!!", "no letters or digits"),
        ("* ann", "wildcard"),
        ("ann *", "wildcard"),
        ("is not overfitting", "negation word inside"),
        ("dropout, early stopping", "punctuation"),
        ("good but slow", "clause-breaking"),
    ],
)
def test_unmatchable_patterns_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_pattern(pattern)
