"""The item statistics against values worked out by hand (in the comments) and against NumPy
computing the same definitions another way."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from annquiz.dashboards.item_statistics import (
    Attempt,
    chosen_score,
    cronbach_alpha,
    discriminative_efficiency,
    histogram,
    item_statistics,
    pearson,
    quintile_means,
)

# Four students, three items worth 1 each.
#        A  B  C   total
# s1     1  1  1   3
# s2     1  0  1   2
# s3     0  1  0   1
# s4     0  0  0   0
SMALL = {
    1: {"A": 1.0, "B": 1.0, "C": 1.0},
    2: {"A": 1.0, "B": 0.0, "C": 1.0},
    3: {"A": 0.0, "B": 1.0, "C": 0.0},
    4: {"A": 0.0, "B": 0.0, "C": 0.0},
}
MAXIMA = {"A": 1.0, "B": 1.0, "C": 1.0}


def test_alpha_of_the_small_matrix_is_worked_out_by_hand() -> None:
    # Each item's sample variance is 1/3; the totals 3, 2, 1, 0 have variance 5/3.
    # alpha = 3/2 · (1 - (3 · 1/3) / (5/3)) = 3/2 · 2/5 = 0.6.
    reliability = cronbach_alpha(SMALL, ["A", "B", "C"])
    assert reliability.alpha == pytest.approx(0.6)
    assert (reliability.k, reliability.n) == (3, 4)


def test_alpha_standard_error_of_the_small_matrix_is_worked_out_by_hand() -> None:
    # V = 1/3 · [[1,0,1],[0,1,0],[1,0,1]]: j'Vj = 5/3, tr V = 1, tr V² = 5/9, j'V²j = 1.
    # Q = 2·9 / (4 · (5/3)³) · ((5/3)(5/9 + 1) - 2·1·1) = 0.972 · 16/27 = 0.576,
    # SE = sqrt(0.576 / 4) = sqrt(0.144).
    assert cronbach_alpha(SMALL, ["A", "B", "C"]).se == pytest.approx(math.sqrt(0.144))


def test_discrimination_and_efficiency_of_a_good_item_are_worked_out_by_hand() -> None:
    # A = 1, 1, 0, 0; the rest (mean of B and C) = 1, .5, .5, 0.
    # cov = (.25 + 0 + 0 + .25)/3 = 1/6; var A = 1/3; var rest = 1/6: r = (1/6)/sqrt(1/18).
    # Sorted, the pairs are the same as they stand, so C_max = C and E = 1.
    stats = item_statistics(SMALL, MAXIMA, "A")
    assert stats.discrimination == pytest.approx(math.sqrt(18) / 6)
    assert stats.efficiency == pytest.approx(1.0)
    assert stats.n_correlated == 4


def test_an_item_unrelated_to_the_rest_discriminates_nothing() -> None:
    # B = 1, 0, 1, 0 against the rest 1, 1, 0, 0: covariance 0; sorted, C_max = 1/3.
    stats = item_statistics(SMALL, MAXIMA, "B")
    assert stats.discrimination == pytest.approx(0.0)
    assert stats.efficiency == pytest.approx(0.0)


def test_an_item_the_strong_students_miss_has_negative_discrimination_and_is_flagged() -> None:
    scores = {s: {**row, "D": 1.0 - row["A"]} for s, row in SMALL.items()}
    stats = item_statistics(scores, {**MAXIMA, "D": 1.0}, "D")
    assert stats.discrimination is not None and stats.discrimination < 0
    assert any("negative discrimination" in flag for flag in stats.flags)


def test_descriptive_statistics_use_the_sample_standard_deviation() -> None:
    scores = {i: {"Q": v} for i, v in enumerate([0.0, 0.5, 1.0, 1.0])}
    stats = item_statistics(scores, {"Q": 2.0}, "Q")
    assert stats.n == 4
    assert stats.mean == pytest.approx(0.625)
    assert stats.median == pytest.approx(0.75)
    # deviations -.625, -.125, .375, .375: squares sum to .6875; /3.
    assert stats.sd == pytest.approx(math.sqrt(0.6875 / 3))
    assert stats.facility == pytest.approx(0.3125)  # mean ÷ maximum 2


def test_one_student_gives_a_mean_but_no_spread_nor_correlation() -> None:
    stats = item_statistics({1: {"A": 1.0, "B": 0.0}}, {"A": 1.0, "B": 1.0}, "A")
    assert (stats.n, stats.mean, stats.median) == (1, 1.0, 1.0)
    assert stats.sd is None and stats.discrimination is None and stats.efficiency is None
    assert cronbach_alpha({1: {"A": 1.0, "B": 0.0}}, ["A", "B"]).alpha is None


def test_zero_variance_gives_no_correlation_and_no_alpha() -> None:
    scores = {s: {"A": 1.0, "B": 1.0} for s in range(6)}
    stats = item_statistics(scores, {"A": 1.0, "B": 1.0}, "A")
    assert stats.sd == 0.0
    assert stats.discrimination is None and stats.efficiency is None
    reliability = cronbach_alpha(scores, ["A", "B"])
    assert reliability.alpha is None and reliability.se is None


def test_missing_answers_leave_the_student_out_of_alpha_and_the_item_out_of_the_rest() -> None:
    scores = {**SMALL, 5: {"A": 1.0}}  # answered A only
    reliability = cronbach_alpha(scores, ["A", "B", "C"])
    assert (reliability.n, reliability.alpha) == (4, pytest.approx(0.6))
    stats = item_statistics(scores, MAXIMA, "A")
    assert stats.n == 5  # counted in A's own statistics
    assert stats.n_correlated == 4  # but has no rest of the test
    assert stats.discrimination == pytest.approx(math.sqrt(18) / 6)


def test_facility_flags_need_enough_answers() -> None:
    few = {s: {"Q": 0.0} for s in range(5)}
    many = {s: {"Q": 0.0} for s in range(10)}
    assert item_statistics(few, {"Q": 1.0}, "Q").flags == []
    assert any("facility below" in f for f in item_statistics(many, {"Q": 1.0}, "Q").flags)
    easy = {s: {"Q": 1.0} for s in range(10)}
    assert any("facility above" in f for f in item_statistics(easy, {"Q": 1.0}, "Q").flags)


def test_quintiles_split_students_ranked_by_performance_into_five_groups() -> None:
    # Ten students: performance 0.0 … 0.9; item score 1 for the top half only.
    pairs = [(1.0 if i >= 5 else 0.0, i / 10) for i in range(10)]
    assert quintile_means(pairs) == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert quintile_means([(1.0, 0.5)]) == [None, None, None, None, 1.0]


def test_histogram_puts_the_maximum_in_the_last_bin() -> None:
    bins = histogram([0.0, 0.05, 0.5, 1.0, 1.0], maximum=1.0, bins=4)
    assert [b.count for b in bins] == [2, 0, 1, 2]
    assert (bins[0].low, bins[-1].high) == (0.0, 1.0)


@pytest.mark.parametrize(("policy", "expected"), [("first", 0.2), ("last", 0.5), ("best", 0.9)])
def test_the_chosen_attempt_is_the_first_the_last_or_the_best(policy: str, expected: float) -> None:
    attempts = [Attempt(2, 0.9), Attempt(3, 0.5), Attempt(1, 0.2)]
    assert chosen_score(attempts, policy) == expected  # type: ignore[arg-type]
    assert chosen_score([], policy) is None  # type: ignore[arg-type]


def _psych_ase(matrix: np.ndarray) -> tuple[float, float]:
    """alpha and R psych's ``ase`` (Duhachek & Iacobucci) written with matrices."""
    n, k = matrix.shape
    v = np.cov(matrix, rowvar=False)
    total = v.sum()
    alpha = k / (k - 1) * (1 - np.trace(v) / total)
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (np.trace(v @ v) + np.trace(v) ** 2) - 2 * np.trace(v) * (v @ v).sum()
    )
    return float(alpha), float(math.sqrt(q / n))


def test_alpha_and_its_se_agree_with_the_matrix_formulas_on_random_data() -> None:
    rng = random.Random(7)
    ability = [rng.gauss(0, 1) for _ in range(60)]
    items = [f"q{j}" for j in range(6)]
    scores = {
        s: {item: float(a + rng.gauss(0, 1.2) > j * 0.3 - 0.5) for j, item in enumerate(items)}
        for s, a in enumerate(ability)
    }
    matrix = np.array([[scores[s][item] for item in items] for s in scores])
    alpha, se = _psych_ase(matrix)
    reliability = cronbach_alpha(scores, items)
    assert reliability.alpha == pytest.approx(alpha)
    assert reliability.se == pytest.approx(se)


def test_discrimination_agrees_with_numpy_and_efficiency_is_at_most_one() -> None:
    rng = random.Random(3)
    xs = [float(rng.random() > 0.4) for _ in range(40)]
    ys = [x * 0.3 + rng.random() for x in xs]
    assert pearson(xs, ys) == pytest.approx(float(np.corrcoef(xs, ys)[0, 1]))
    efficiency = discriminative_efficiency(xs, ys)
    r = pearson(xs, ys)
    assert efficiency is not None and r is not None
    assert r <= efficiency <= 1.0 + 1e-12
