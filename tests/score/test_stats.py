import numpy as np
import pytest
from scipy.stats import binomtest
from scipy.stats import t as student_t

from abmcts.score.stats import bootstrap_ci, mcnemar_exact_p, paired_test, seed_mean


def test_bootstrap_ci_matches_the_normal_approximation_for_a_proportion():
    values = [1.0] * 120 + [0.0] * 280  # p = 0.3 on 400 tasks
    interval = bootstrap_ci(values, n_boot=20_000, seed=1)
    half = 1.96 * np.sqrt(0.3 * 0.7 / 400)
    assert interval.value == pytest.approx(0.3)
    assert interval.ci_low == pytest.approx(0.3 - half, abs=0.006)
    assert interval.ci_high == pytest.approx(0.3 + half, abs=0.006)


def test_bootstrap_ci_is_deterministic_under_its_seed_and_varies_across_seeds():
    values = np.random.default_rng(0).random(50)
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    assert bootstrap_ci(values, seed=3) != bootstrap_ci(values, seed=4)


def test_mcnemar_exact_equals_a_two_sided_binomial_test():
    for only_a, only_b in [(0, 0), (5, 0), (9, 3), (12, 12), (2, 17)]:
        expected = 1.0 if only_a + only_b == 0 else binomtest(only_a, only_a + only_b, 0.5).pvalue
        assert mcnemar_exact_p(only_a, only_b) == pytest.approx(expected)


def test_paired_test_on_binary_scores_uses_mcnemar_on_discordant_tasks():
    a = [1] * 30 + [0] * 10 + [1] * 4 + [0] * 356
    b = [1] * 30 + [0] * 10 + [0] * 4 + [1] * 0 + [0] * 356
    result = paired_test(a, b, seed=0)
    assert result.method == "mcnemar_exact"
    assert result.diff == pytest.approx(4 / 400)
    assert result.p_value == pytest.approx(binomtest(0, 4, 0.5).pvalue)  # 4 of 400 is noise
    assert result.p_value > 0.05
    assert result.ci_low <= result.diff <= result.ci_high


def test_paired_test_finds_a_real_difference_in_fractional_scores():
    rng = np.random.default_rng(2)
    base = rng.random(300)
    better = np.clip(base + 0.1 + rng.normal(0, 0.05, 300), 0, 1)
    result = paired_test(better, base, seed=0)
    assert result.method == "paired_bootstrap"
    assert result.p_value < 0.001
    assert result.ci_low > 0.05
    same = paired_test(base, base + rng.normal(0, 0.01, 300), seed=0)
    assert same.p_value > 0.01


def test_paired_test_refuses_unpaired_lengths():
    with pytest.raises(ValueError, match="pair them by task"):
        paired_test([1, 0, 1], [1, 0])


def test_seed_mean_is_a_student_t_interval():
    values = [0.30, 0.33, 0.28, 0.31]
    interval = seed_mean(values)
    half = student_t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert interval.value == pytest.approx(np.mean(values))
    assert interval.ci_high - interval.value == pytest.approx(half)
    assert seed_mean([0.4]).ci_low == seed_mean([0.4]).ci_high == 0.4
