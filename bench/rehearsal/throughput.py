"""Grades per minute through the public address with a given number of NumPy worker
processes.

A batch of small submissions (the handout-keras reference, NumPy backend, 3 seeds, each with
its own learning rate so that none is answered as a resubmission of an identical network)
from several students, POSTed back to back through the proxy; the rate is taken from the
submissions' own timestamps, from the first one created to the last one finished, and also
as the client saw it (first POST to the last verdict read while polling).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from bench.rehearsal.client import Followed, Student, follow_until_finished
from bench.rehearsal.processes import RehearsalError
from bench.rehearsal.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
TASK = "handout-keras"


def reference_spec() -> dict[str, Any]:
    """The handout-keras reference as a JSON spec."""
    from training.solutions import parse_solution
    from training.spec import spec_to_dict

    source = (ROOT / "fixtures" / "tasks" / TASK / "reference.py").read_text()
    spec: dict[str, Any] = spec_to_dict(parse_solution("keras", source))
    return spec


def variant(reference: dict[str, Any], number: int) -> dict[str, Any]:
    """The reference with a learning rate of its own (0.001 x (1 + number/1000)): the same
    cost, a different network for the duplicate check."""
    spec = json.loads(json.dumps(reference))
    spec["optimizer"]["learning_rate"] = round(0.001 * (1 + number / 1000), 9)
    return spec


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time (user + system) used so far by each of ``pids`` and their descendants."""
    used: dict[int, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                used[proc.pid] = times.user + times.system
        except psutil.Error:
            continue
    return used


def measure(
    stack: Stack, students: list[Student], *, workers: int, per_student: int, first_number: int
) -> dict[str, Any]:
    """Start ``workers`` NumPy worker processes (replacing the running ones), submit
    ``per_student`` networks from each student, wait for every verdict, and report."""
    stack.stop_numpy_workers()
    stack.start_numpy_workers(workers)
    reference = reference_spec()
    worker_pids = [
        child.pid for child in stack.launcher.children if child.name in stack.numpy_worker_names
    ]
    load_before = _load()
    cpu_before = cpu_seconds(worker_pids)
    followed: list[Followed] = []
    number = first_number
    started = time.monotonic()
    for _ in range(per_student):
        for student in students:
            submitted = student.submit(TASK, {"spec": variant(reference, number)})
            followed.append(Followed(student, submitted, time.monotonic()))
            number += 1
    follow_until_finished(followed, timeout=600, interval=0.25)
    cpu_after = cpu_seconds(worker_pids)
    cpu_used = sum(used - cpu_before.get(pid, 0.0) for pid, used in cpu_after.items())
    seen_span = max(item.seen_finished_at or 0.0 for item in followed) - started
    finals = [item.last for item in followed if item.last is not None]
    statuses = Counter(str(final["status"]) for final in finals)
    if set(statuses) - {"passed", "failed"}:
        raise RehearsalError(f"throughput batch with {workers} worker(s): {dict(statuses)}")
    created = [_time(final["created_at"]) for final in finals]
    claimed = [_time(final["started_at"]) for final in finals]
    done = [_time(final["finished_at"]) for final in finals]
    span = (max(done) - min(created)).total_seconds()
    judging = [(d - c).total_seconds() for c, d in zip(claimed, done, strict=True)]
    return {
        "workers": workers,
        "submissions": len(finals),
        "statuses": dict(statuses),
        "span_s": round(span, 2),
        "grades_per_min": round(len(finals) / span * 60, 1),
        "client_span_s": round(seen_span, 2),
        "client_grades_per_min": round(len(finals) / seen_span * 60, 1),
        "judging_s_median": round(statistics.median(judging), 3),
        "judging_s_max": round(max(judging), 3),
        "worker_cpu_s_per_grade": round(cpu_used / len(finals), 3),
        "load_before": load_before,
        "load_after": _load(),
        "next_number": number,
    }
