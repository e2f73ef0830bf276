from __future__ import annotations

import numpy as np
import pytest

from training.numpy_backend.metrics import MetricAccumulator, target_kind


def test_accuracy_kind_follows_keras_resolution() -> None:
    assert target_kind("binary_crossentropy", 1) == "binary"
    assert target_kind("mse", 1) == "binary"
    assert target_kind("sparse_categorical_crossentropy", 3) == "sparse"
    assert target_kind("categorical_crossentropy", 3) == "categorical"


def test_binary_accuracy_thresholds_at_one_half_over_batches() -> None:
    acc = MetricAccumulator("accuracy", "binary", 1, 2)
    acc.update(np.array([[1.0], [0.0]]), np.array([[[0.7], [0.5]]]))  # 0.5 is not > 0.5
    acc.update(np.array([[1.0]]), np.array([[[0.2]]]))
    assert acc.result()[0] == pytest.approx(2 / 3)


def test_balanced_accuracy_is_the_mean_recall_over_present_classes() -> None:
    y = np.array([0, 0, 0, 0, 1, 2])
    pred_class = np.array([0, 0, 0, 1, 1, 0])
    probs = np.eye(4)[pred_class][None] * 0.9 + 0.025
    acc = MetricAccumulator("balanced_accuracy", "sparse", 1, 4)
    acc.update(y[:3], probs[:, :3])
    acc.update(y[3:], probs[:, 3:])
    # recalls: class 0 3/4, class 1 1/1, class 2 0/1; class 3 absent
    assert acc.result()[0] == pytest.approx((0.75 + 1.0 + 0.0) / 3)
    plain = MetricAccumulator("accuracy", "sparse", 1, 4)
    plain.update(y, probs)
    assert plain.result()[0] == pytest.approx(4 / 6)


def test_regression_metrics_average_the_per_sample_means() -> None:
    y = np.array([[1.0, 2.0], [0.0, 0.0]])
    pred = np.array([[[2.0, 2.0], [0.0, -2.0]]])
    mse = MetricAccumulator("mse", "categorical", 1, 2)
    mse.update(y, pred)
    mae = MetricAccumulator("mae", "categorical", 1, 2)
    mae.update(y, pred)
    assert mse.result()[0] == pytest.approx((0.5 + 2.0) / 2)
    assert mae.result()[0] == pytest.approx((0.5 + 1.0) / 2)


def test_each_stacked_seed_is_counted_separately() -> None:
    acc = MetricAccumulator("accuracy", "categorical", 2, 2)
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    pred = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.1, 0.9], [0.2, 0.8]]])
    acc.update(y, pred)
    np.testing.assert_allclose(acc.result(), [1.0, 0.5])
