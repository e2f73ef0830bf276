"""The figures a fault test measured: kept in ``var/faults/<fault>.json`` by every run, and
copied into bench/RESULTS.md by ``python -m bench.faults_report``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIGURES_DIR = Path(__file__).resolve().parents[2] / "var" / "faults"


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def latency_figures(submissions: Sequence[Any]) -> dict[str, float]:
    """Latency (stored to result) p50/p95/p99 in seconds, and results per minute from the
    first submission stored to the last result."""
    latencies = [(row.finished_at - row.created_at).total_seconds() for row in submissions]
    span = (
        max(row.finished_at for row in submissions) - min(row.created_at for row in submissions)
    ).total_seconds()
    return {
        "latency_p50_s": percentile(latencies, 0.50),
        "latency_p95_s": percentile(latencies, 0.95),
        "latency_p99_s": percentile(latencies, 0.99),
        "grades_per_minute": 60.0 * len(submissions) / span if span > 0 else 0.0,
    }


def record(fault: str, *, title: str, bound: str, **figures: Any) -> None:
    """Keep what one fault test measured (``title`` names the fault, ``bound`` the recovery
    bound it was held to)."""
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    entry = {
        "fault": fault,
        "title": title,
        "bound": bound,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": {
            key: round(value, 2) if isinstance(value, float) else value
            for key, value in figures.items()
        },
    }
    (FIGURES_DIR / f"{fault}.json").write_text(json.dumps(entry, indent=2) + "\n")
