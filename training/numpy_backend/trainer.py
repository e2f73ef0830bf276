"""The epoch/batch loop: several seeds trained together with Keras ``model.fit`` semantics.

* Each epoch, each seed shuffles the training rows with ``default_rng(seed).permutation``
  (a generator of its own, drawn once per epoch) or keeps their order when shuffling is off,
  and walks them in batches of ``batch_size`` (``None``: one batch of all rows; the last
  partial batch is kept).
* A batch's loss is computed with the weights before that batch's update, includes
  regularization, and the epoch's ``loss`` is the mean of the batch losses weighted by batch
  size (Keras' loss tracker). Training metrics accumulate over the epoch's batches likewise.
* ``val_loss`` and ``val_<metric>`` are computed after the epoch in inference mode.
* A seed whose batch loss is NaN/inf stops after that batch (its weights frozen from then
  on, ``diverged=True``), as with Keras' ``TerminateOnNaN``; its epoch is still recorded.
* ``EarlyStopping`` runs per seed exactly as Keras' callback, so seeds stop independently;
  with ``restore_best_weights`` the best epoch's weights are restored when a seed's training
  ends (Keras 3 restores them at the end of training whether or not it stopped early).
* Finished seeds leave the stack, so the remaining ones train at full speed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from training.early_stopping import EarlyStoppingMonitor
from training.errors import DataError
from training.fitting import EpochCallback, FitResult
from training.numpy_backend.data import PreparedData
from training.numpy_backend.metrics import MetricAccumulator, target_kind
from training.numpy_backend.model import StackedModel, seed_generator
from training.numpy_backend.optimizers import get_optimizer
from training.numpy_backend.trained import NumpyTrainedModel, evaluate_stacked
from training.spec import ModelSpec

__all__ = ["fit_seeds"]


def _history_keys(spec: ModelSpec, has_val: bool) -> list[str]:
    keys = ["loss", *spec.metrics]
    if has_val:
        keys += ["val_loss", *(f"val_{m}" for m in spec.metrics)]
    return keys


def fit_seeds(
    spec: ModelSpec,
    data: PreparedData,
    seeds: Sequence[int],
    *,
    initial_weights: Sequence[np.ndarray] | None = None,
    shuffle: bool = True,
    on_epoch_end: EpochCallback | None = None,
) -> list[FitResult]:
    """Train one copy of ``spec``'s network per seed on ``data``; results in seed order."""
    started = time.perf_counter()
    n_total = len(seeds)
    model = StackedModel(spec, n_total)
    model.initialize(seeds)
    if initial_weights is not None:
        model.set_weights(initial_weights)
    optimizer = get_optimizer(spec.optimizer)
    optimizer.build([model.params])

    has_val = data.x_val is not None and data.y_val is not None
    keys = _history_keys(spec, has_val)
    es_config = spec.early_stopping
    if es_config is not None and es_config.monitor not in keys:
        raise DataError(
            f"early_stopping.monitor: {es_config.monitor!r} is not computed in this run; "
            f"available: {', '.join(keys)}"
        )
    kind = target_kind(spec.loss, model.output_units)
    n_classes = max(2, model.output_units)
    labels = spec.loss == "sparse_categorical_crossentropy"
    x, y, sw = data.x_train, data.y_train, data.sample_weight
    n = x.shape[0]
    batch = n if spec.batch_size is None else min(spec.batch_size, n)
    starts = list(range(0, n, batch))
    sizes = np.array([min(batch, n - s0) for s0 in starts], dtype=np.float64)
    shuffle_rngs = [seed_generator(s) for s in seeds]
    histories: list[dict[str, list[float]]] = [{k: [] for k in keys} for _ in seeds]
    stoppers: list[EarlyStoppingMonitor[np.ndarray] | None] = [
        EarlyStoppingMonitor(es_config) if es_config else None for _ in seeds
    ]
    results: list[FitResult | None] = [None] * n_total
    active = list(range(n_total))  # original seed index of each row of the stack

    def train_metrics(y_seen: np.ndarray, preds: np.ndarray) -> dict[str, np.ndarray]:
        # Accumulating over the whole epoch at once equals accumulating batch by batch.
        out: dict[str, np.ndarray] = {}
        for name in spec.metrics:
            acc = MetricAccumulator(name, kind, preds.shape[0], n_classes, labels=labels)
            acc.update(y_seen, preds)
            out[name] = acc.result()
        return out

    for epoch in range(spec.epochs):
        n_rows = len(active)
        if shuffle:
            perm = np.stack([shuffle_rngs[i].permutation(n) for i in active])
            xe, ye = x[perm], y[perm]
            we = sw[perm] if sw is not None else None
        else:
            xe, ye, we = x, y, sw
        lead: tuple[slice, ...] = (slice(None),) if shuffle else ()
        # Each batch's outputs (before its update) and loss, for the epoch's logs.
        preds = np.empty((n_rows, n, model.output_units))
        batch_loss = np.empty((n_rows, len(starts)))
        frozen: dict[int, np.ndarray] = {}
        frozen_logs: dict[int, dict[str, float]] = {}
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i, s0 in enumerate(starts):
                sl = (*lead, slice(s0, s0 + batch))
                loss, out = model.loss_and_gradients(xe[sl], ye[sl], None if we is None else we[sl])
                preds[:, s0 : s0 + batch] = out
                batch_loss[:, i] = loss
                optimizer.apply([model.grads], [model.params])
                for r, snapshot in frozen.items():
                    model.params[r] = snapshot
                if not math.isfinite(float(np.add.reduce(loss))):
                    seen = int(s0 + sizes[i])
                    for bad in np.flatnonzero(~np.isfinite(loss)):
                        r = int(bad)
                        if r in frozen:
                            continue
                        frozen[r] = model.params[r].copy()
                        row_y = ye[r : r + 1, :seen] if shuffle else ye[:seen]
                        partial = train_metrics(row_y, preds[r : r + 1, :seen])
                        frozen_logs[r] = {
                            "loss": float(batch_loss[r, : i + 1] @ sizes[: i + 1] / seen),
                            **{k: float(v[0]) for k, v in partial.items()},
                        }
                    if len(frozen) == n_rows:
                        break
            train_logs = {"loss": batch_loss @ sizes / n, **train_metrics(ye, preds)}
            val_logs: dict[str, np.ndarray] = {}
            if has_val:
                assert data.x_val is not None and data.y_val is not None
                val = evaluate_stacked(model, data.x_val, data.y_val, spec.metrics)
                val_logs = {f"val_{k}": v for k, v in val.items()}

        finished: list[int] = []
        for row, idx in enumerate(active):
            logs = {k: float(v[row]) for k, v in train_logs.items()}
            logs.update(frozen_logs.get(row, {}))
            logs.update({k: float(v[row]) for k, v in val_logs.items()})
            for k in keys:
                histories[idx][k].append(logs[k])
            if on_epoch_end is not None:
                on_epoch_end(seeds[idx], epoch, dict(logs))
            diverged = row in frozen
            stop = False
            stopper = stoppers[idx]
            if stopper is not None:
                stop = stopper.on_epoch_end(
                    epoch, logs[stopper.config.monitor], model.params[row].copy
                )
            if diverged or stop or epoch == spec.epochs - 1:
                finished.append(row)
                weights = model.params[row].copy()
                if stopper is not None and stopper.best_weights is not None:
                    weights = stopper.best_weights
                results[idx] = _result(
                    spec,
                    model,
                    seeds[idx],
                    histories[idx],
                    weights,
                    stopper,
                    diverged,
                    started,
                    n_total,
                )
        if finished:
            keep = np.array([r for r in range(n_rows) if r not in set(finished)], dtype=np.intp)
            if keep.size == 0:
                break
            model.select_seeds(keep)
            optimizer.select_seeds(keep, [model.params])
            active = [active[r] for r in keep]

    if spec.epochs == 0:  # nothing trained: report the initial weights
        for row, idx in enumerate(active):
            results[idx] = _result(
                spec,
                model,
                seeds[idx],
                histories[idx],
                model.params[row].copy(),
                stoppers[idx],
                False,
                started,
                n_total,
            )
    elapsed = time.perf_counter() - started
    done: list[FitResult] = []
    for res in results:
        assert res is not None
        # The seeds trained in one stacked pass: each reports the wall time of all of them.
        res.seconds = elapsed
        res.seconds_shared = len(results) > 1
        done.append(res)
    return done


def _result(
    spec: ModelSpec,
    model: StackedModel,
    seed: int,
    history: dict[str, list[float]],
    flat_weights: np.ndarray,
    stopper: EarlyStoppingMonitor[np.ndarray] | None,
    diverged: bool,
    started: float,
    n_seeds: int,
) -> FitResult:
    arrays = [
        flat_weights[model.offsets[i] : model.offsets[i + 1]].reshape(shape)
        for i, shape in enumerate(model.shapes)
    ]
    # A diverged run's weights may be non-finite; keep them as they are.
    trained = NumpyTrainedModel(spec, arrays, check_finite=not diverged)
    return FitResult(
        seed=seed,
        history=history,
        model=trained,
        epochs_run=len(history["loss"]),
        stopped_early=stopper is not None and stopper.stopped_epoch > 0,
        best_epoch=stopper.best_epoch if stopper is not None else None,
        diverged=diverged,
        seconds=time.perf_counter() - started,
        extra={"backend": "numpy", "seeds_trained_together": n_seeds},
    )
