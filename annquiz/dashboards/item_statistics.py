"""Item statistics of quiz questions: plain Python and NumPy, no Django; every formula stated
here and on
the pages (``templates/dashboards/_definitions.html``).

A *test* is a set of items (the questions of a lesson, or of a course) answered by students.
``scores[student][item]`` is the score of the attempt chosen (first, last or best) in
``[0, max]``; an unanswered item is absent from the student's row.

Definitions (n is the number of students who answered the item):

- mean, median, standard deviation: of the item's scores; the standard deviation is the sample
  one, ``s = sqrt(Σ (x - x̄)² / (n - 1))`` (None for n < 2).
- facility index: ``F = x̄ / max``, the mean as a fraction of the item's maximum (Moodle).
- overall performance of a student, for an item: the mean fraction of the maximum over the
  *other* items of the test the student answered (the "rest of the test"). Unanswered items
  are left out rather than counted as zero, since in a course students are at different
  points: a zero would measure progress, not ability. Students who answered no other item are
  left out of the correlations and quintiles.
- discrimination index (Moodle): ``D = r(x, X)``, Pearson's correlation between the item's
  scores ``x`` and the students' rest-of-test performance ``X`` (None when either varies
  not at all, or n < 2). Shown as a fraction in [-1, 1] (Moodle shows 100·D).
- discriminative efficiency (Moodle): ``E = C(x, X) / C_max(x, X)``, the covariance divided
  by the largest covariance any pairing of the same two sets of values could have: the one
  with both sorted in the same order (None when C_max is 0).
- quintiles (PrairieLearn): the students are ranked by overall performance and split into
  five groups as equal in size as possible (the first holds the lowest); each group's mean
  score on the item, as a fraction of its maximum.
- Cronbach's alpha over k items and the n students who answered all of them (listwise):
  ``alpha = k/(k-1) · (1 - Σ s_i² / s_T²)`` with the sample variances of the items ``s_i²`` and
  of the students' totals ``s_T²``.
- its standard error, the asymptotic one of van Zyl, Neudecker and Nel (2000) as used by
  Duhachek and Iacobucci (2004) and R's ``psych::alpha`` (``ase``): with the items' sample
  covariance matrix ``V`` and ``j`` a vector of ones,
  ``Q = 2k² / ((k-1)² (j'Vj)³) · [ (j'Vj)(tr(V²) + tr(V)²) - 2 tr(V)(j'V²j) ]`` and
  ``SE = sqrt(Q / n)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

AttemptPolicy = Literal["first", "last", "best"]
ATTEMPT_POLICIES: tuple[AttemptPolicy, ...] = ("first", "last", "best")

# A question is flagged only once this many students answered it.
MIN_ANSWERS_FOR_FLAGS = 10
FACILITY_TOO_LOW = 0.1
FACILITY_TOO_HIGH = 0.95
QUINTILES = 5


@dataclass(frozen=True)
class Attempt:
    """One answer: its attempt number (1-based) and score."""

    number: int
    score: float


def chosen_score(attempts: Sequence[Attempt], policy: AttemptPolicy) -> float | None:
    """The score the statistics use of one student's attempts at one item: the first, the
    last (highest attempt number) or the best; None without attempts."""
    if not attempts:
        return None
    if policy == "first":
        return min(attempts, key=lambda a: a.number).score
    if policy == "last":
        return max(attempts, key=lambda a: a.number).score
    return max(a.score for a in attempts)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def sample_variance(values: Sequence[float]) -> float | None:
    n = len(values)
    if n < 2:
        return None
    m = sum(values) / n
    return sum((v - m) ** 2 for v in values) / (n - 1)


def sample_sd(values: Sequence[float]) -> float | None:
    variance = sample_variance(values)
    return None if variance is None else math.sqrt(variance)


def _covariance(xs: Sequence[float], ys: Sequence[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (n - 1)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None for fewer than two pairs or when either side does not vary."""
    if len(xs) != len(ys):
        raise ValueError("pearson needs pairs: the two sequences differ in length")
    if len(xs) < 2:
        return None
    vx, vy = sample_variance(xs), sample_variance(ys)
    if not vx or not vy:
        return None
    return _covariance(xs, ys) / math.sqrt(vx * vy)


def discriminative_efficiency(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Moodle's ``C(x, X) / C_max(x, X)``: C_max pairs the sorted x with the sorted X."""
    if len(xs) != len(ys):
        raise ValueError("discriminative efficiency needs pairs: the sequences differ in length")
    if len(xs) < 2:
        return None
    c_max = _covariance(sorted(xs), sorted(ys))
    if c_max <= 1e-12:
        return None
    return _covariance(xs, ys) / c_max


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


def histogram(values: Sequence[float], *, maximum: float, bins: int = 10) -> list[Bin]:
    """``bins`` equal bins over [0, maximum]; the last bin holds ``maximum`` itself."""
    if bins < 1 or maximum <= 0:
        raise ValueError("a histogram needs at least one bin and a positive maximum")
    width = maximum / bins
    counts = [0] * bins
    for value in values:
        index = min(bins - 1, max(0, int(value / width)))
        counts[index] += 1
    return [Bin(i * width, (i + 1) * width, counts[i]) for i in range(bins)]


def quintile_means(pairs: Sequence[tuple[float, float]]) -> list[float | None]:
    """``pairs`` of (item score as a fraction, overall performance): the mean item score of
    each fifth of the students ranked by performance (ties broken by item score, lowest
    first, so that the split is deterministic); None for an empty group (fewer than five
    students)."""
    ordered = sorted(pairs, key=lambda pair: (pair[1], pair[0]))
    n = len(ordered)
    out: list[float | None] = []
    for group in range(QUINTILES):
        chunk = ordered[group * n // QUINTILES : (group + 1) * n // QUINTILES]
        out.append(mean([item for item, _ in chunk]))
    return out


@dataclass(frozen=True)
class ItemStatistics:
    n: int
    mean: float | None
    median: float | None
    sd: float | None
    facility: float | None
    discrimination: float | None
    efficiency: float | None
    n_correlated: int  # students with a rest-of-test performance
    histogram: list[Bin]
    quintiles: list[float | None]
    flags: list[str]


def flags_for(*, n: int, facility: float | None, discrimination: float | None) -> list[str]:
    """Why a question looks broken: too hard or too easy (with at least
    ``MIN_ANSWERS_FOR_FLAGS`` answers), or a negative discrimination."""
    flags = []
    if n >= MIN_ANSWERS_FOR_FLAGS and facility is not None:
        if facility < FACILITY_TOO_LOW:
            flags.append(f"facility below {FACILITY_TOO_LOW:g}: almost nobody gets it right")
        elif facility > FACILITY_TOO_HIGH:
            flags.append(f"facility above {FACILITY_TOO_HIGH:g}: almost everybody gets it right")
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination: stronger students score lower on it")
    return flags


def _fraction_sums(
    scores: Mapping[int, Mapping[str, float]], maxima: Mapping[str, float]
) -> dict[int, tuple[float, int]]:
    """Each student's sum of score fractions and number of items answered (items worth
    nothing left out): computed once, the rest of the test of every item follows from it."""
    sums: dict[int, tuple[float, int]] = {}
    for student, row in scores.items():
        fractions = [score / maxima[item] for item, score in row.items() if maxima.get(item)]
        sums[student] = (sum(fractions), len(fractions))
    return sums


def rest_performance(
    scores: Mapping[int, Mapping[str, float]],
    maxima: Mapping[str, float],
    item: str,
    *,
    sums: Mapping[int, tuple[float, int]] | None = None,
) -> dict[int, float]:
    """Each student's mean fraction of the maximum over the items other than ``item`` that
    they answered (students who answered no other item are absent)."""
    totals = sums if sums is not None else _fraction_sums(scores, maxima)
    out: dict[int, float] = {}
    for student, row in scores.items():
        total, count = totals[student]
        if item in row and maxima.get(item):
            total, count = total - row[item] / maxima[item], count - 1
        if count > 0:
            out[student] = total / count
    return out


def item_statistics(
    scores: Mapping[int, Mapping[str, float]],
    maxima: Mapping[str, float],
    item: str,
    *,
    bins: int = 10,
    sums: Mapping[int, tuple[float, int]] | None = None,
) -> ItemStatistics:
    """Every statistic of ``item`` (see the module's definitions) from the whole test."""
    maximum = maxima[item]
    values = {student: row[item] for student, row in scores.items() if item in row}
    xs = list(values.values())
    m = mean(xs)
    facility = None if m is None or maximum <= 0 else m / maximum
    rest = rest_performance(scores, maxima, item, sums=sums)
    paired = [(values[s] / maximum if maximum else 0.0, rest[s]) for s in values if s in rest]
    item_part = [p[0] for p in paired]
    rest_part = [p[1] for p in paired]
    discrimination = pearson(item_part, rest_part) if paired else None
    efficiency = discriminative_efficiency(item_part, rest_part) if paired else None
    return ItemStatistics(
        n=len(xs),
        mean=m,
        median=median(xs),
        sd=sample_sd(xs),
        facility=facility,
        discrimination=discrimination,
        efficiency=efficiency,
        n_correlated=len(paired),
        histogram=histogram(xs, maximum=maximum if maximum > 0 else 1.0, bins=bins),
        quintiles=quintile_means(paired),
        flags=flags_for(n=len(xs), facility=facility, discrimination=discrimination),
    )


def all_item_statistics(
    scores: Mapping[int, Mapping[str, float]], maxima: Mapping[str, float]
) -> dict[str, ItemStatistics]:
    """``item_statistics`` of every item of ``maxima``, sharing the students' sums."""
    sums = _fraction_sums(scores, maxima)
    return {item: item_statistics(scores, maxima, item, sums=sums) for item in maxima}


@dataclass(frozen=True)
class Reliability:
    alpha: float | None
    se: float | None
    k: int  # items
    n: int  # students who answered every item


def cronbach_alpha(scores: Mapping[int, Mapping[str, float]], items: Sequence[str]) -> Reliability:
    """Cronbach's alpha and its Duhachek-Iacobucci standard error over the students who answered
    every one of ``items`` (see the module's definitions). alpha is None for fewer than two items
    or students, or when the totals do not vary; the SE is None where alpha is, or for fewer than
    three students."""
    k = len(items)
    complete = [row for row in scores.values() if all(item in row for item in items)]
    n = len(complete)
    if k < 2 or n < 2:
        return Reliability(None, None, k, n)
    matrix = np.array([[row[item] for item in items] for row in complete], dtype=float)
    v = np.cov(matrix, rowvar=False)  # sample covariances (n - 1)
    total = float(v.sum())  # j'Vj: the variance of the totals
    trace = float(np.trace(v))
    if total <= 1e-12:
        return Reliability(None, None, k, n)
    alpha = k / (k - 1) * (1 - trace / total)
    if n < 3:
        return Reliability(alpha, None, k, n)
    v2 = v @ v
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (float(np.trace(v2)) + trace**2) - 2 * trace * float(v2.sum())
    )
    se = math.sqrt(q / n) if q > 0 else 0.0
    return Reliability(alpha, se, k, n)
