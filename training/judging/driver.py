"""The judge: admit the submission, train every seed, stop early on divergence, assemble.

A backend that trains the seeds together (`Backend.trains_seeds_together`) gets one `fit`
call for every seed, which stops as soon as the verdict is settled; any other backend gets
one call per seed, so a seed that blows up is stopped alone (see docs/judging.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from training.backends import get_backend
from training.datasets import Dataset, load_dataset
from training.fitting import Backend, EpochCallback, FitResult
from training.judging.admission import admit
from training.judging.seed_run import SeedRun
from training.judging.task import TaskDefinition
from training.judging.verdict import Judgement, assemble_judgement
from training.spec import ModelSpec

__all__ = ["EXPLOSION_CEILING", "EXPLOSION_FACTOR", "judge"]

# A seed's training loss "explodes" above this many times its first epoch's, or this value.
EXPLOSION_FACTOR = 1e4
EXPLOSION_CEILING = 1e12


class _TrainingExploded(Exception):
    """Raised from the epoch callback to stop training once the verdict is "diverged"."""


@dataclass
class _Watch:
    """Records every seed's epoch logs and stops training once there is no point going on.

    It raises ``_TrainingExploded`` when more than ``allowed_bad`` seeds diverged (the verdict
    is then "diverged" whatever the others do) and, with ``stop_each``, as soon as the seed
    being trained diverges (for backends that train one seed per ``fit`` call).
    """

    seeds: tuple[int, ...]
    allowed_bad: int
    caller: EpochCallback | None
    stop_each: bool = False
    logs: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    first_loss: dict[int, float] = field(default_factory=dict)
    bad: set[int] = field(default_factory=set)

    def __call__(self, seed: int, epoch: int, logs: dict[str, float]) -> None:
        history = self.logs.setdefault(seed, {})
        for key, value in logs.items():
            history.setdefault(key, []).append(float(value))
        loss = logs.get("loss")
        if loss is not None:
            loss = float(loss)
            first = self.first_loss.setdefault(seed, loss)
            if _exploded(loss, first):
                self.bad.add(seed)
        if self.caller is not None:
            self.caller(seed, epoch, logs)
        if len(self.bad) > self.allowed_bad or (self.stop_each and seed in self.bad):
            raise _TrainingExploded

    @property
    def verdict_settled(self) -> bool:
        return len(self.bad) > self.allowed_bad


def _exploded(loss: float, first: float) -> bool:
    if not math.isfinite(loss) or abs(loss) > EXPLOSION_CEILING:
        return True
    return math.isfinite(first) and first > 0 and loss > EXPLOSION_FACTOR * first


def _history_exploded(history: Mapping[str, Sequence[float]]) -> bool:
    losses = list(history.get("loss", []))
    if not losses:
        return False
    first = float(losses[0])
    return any(_exploded(float(v), first) for v in losses)


def _train(
    backend: Backend, task: TaskDefinition, spec: ModelSpec, dataset: Dataset, watch: _Watch
) -> dict[int, FitResult]:
    """Each seed's result; a seed stopped by ``watch`` (or never started) has none.

    A backend that trains the seeds together gets every seed in one `fit` call, so a stop
    ends them all. Other backends train the seeds one after another anyway: each gets its own
    call, so a seed that blows up is stopped alone, and the seeds after it are skipped once
    the verdict is settled.
    """
    data = dataset.to_fit_data()
    if backend.trains_seeds_together:
        try:
            results = backend.fit(spec, data, seeds=task.seeds, on_epoch_end=watch)
        except _TrainingExploded:
            return {}
        return {result.seed: result for result in results}
    fitted: dict[int, FitResult] = {}
    for seed in task.seeds:
        if watch.verdict_settled:
            break
        try:
            (fitted[seed],) = backend.fit(spec, data, seeds=[seed], on_epoch_end=watch)
        except _TrainingExploded:
            continue
    return fitted


def judge(
    task: TaskDefinition, spec: ModelSpec, *, on_epoch_end: EpochCallback | None = None
) -> Judgement:
    """`admit` (without the time budget), train every seed, run every check per seed,
    aggregate, diagnose.

    Refusals of `admit` (`SpecError`, `LimitExceeded`, `UnsupportedByBackend`) propagate;
    everything after that ends in a `Judgement`.
    """
    started = time.perf_counter()
    # The time budget is the service's to enforce when it accepts a submission (its worker's
    # time limits are its settings); the rest of admission holds wherever a spec is judged.
    admit(task, spec, time_budget=None)
    dataset = load_dataset(task.dataset, task.dataset_seed)
    backend = get_backend(task.backend)
    watch = _Watch(
        seeds=task.seeds,
        allowed_bad=len(task.seeds) - task.required_passes,
        caller=on_epoch_end,
        stop_each=not backend.trains_seeds_together,
    )
    fitted = _train(backend, task, spec, dataset, watch)

    runs: list[SeedRun] = []
    for seed in task.seeds:
        result = fitted.get(seed)
        if result is not None:
            history = {k: [float(v) for v in vs] for k, vs in result.history.items()}
            bad = result.diverged or seed in watch.bad or _history_exploded(history)
        else:
            result = None
            history = watch.logs.get(seed, {})
            bad = seed in watch.bad or _history_exploded(history)
        runs.append(
            SeedRun(
                seed=seed, history=history, result=result, diverged=bad, spec=spec, dataset=dataset
            )
        )
    return assemble_judgement(task, runs, started=started)
