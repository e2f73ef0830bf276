"""Copy the fault suite's figures into bench/RESULTS.md (its "Fault suite" section).

Each fault test (``pytest -m faults``, tests/faults/) keeps what it measured in
``var/faults/<fault>.json``; this writes them as one table per fault:

    pytest -m faults tests/faults -p no:cacheprovider && python -m bench.faults_report
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.common import machine, write_section

FIGURES_DIR = Path(__file__).resolve().parent.parent / "var" / "faults"
START = "<!-- faults -->"
END = "<!-- /faults -->"
ORDER = [
    "pool-child-killed",
    "worker-parent-killed",
    "redis-restart",
    "database-connections-terminated",
    "costly-networks",
    "submission-burst",
]


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def render(entries: list[dict[str, Any]]) -> str:
    host = machine()
    lines = [
        START,
        "## Fault suite: recovery times, latency and throughput under faults",
        "",
        "Measured by the fault tests themselves (`tests/faults/`, marker `faults`), each starting",
        "and stopping its own processes: gunicorn, Celery workers with the embedded beat, a",
        "private redis-server, on the PostgreSQL test database. Latency is from the submission",
        "stored to its result; grades per minute from the first submission stored to the last",
        "result. Reproduce: `pytest -m faults tests/faults -p no:cacheprovider && python -m",
        "bench.faults_report`.",
        "",
        f"Machine: {host.get('cpu', '?')}, {host.get('nproc', '?')} cores, shared with other work.",
        "",
    ]
    for entry in entries:
        lines += [
            f"### {entry['title']}",
            "",
            f"Bound: {entry['bound']}. Measured {entry['measured_at']}.",
            "",
            "| Figure | Value |",
            "|---|---|",
            *(f"| {key} | {_value(value)} |" for key, value in entry["figures"].items()),
            "",
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> None:
    found = {path.stem: json.loads(path.read_text()) for path in FIGURES_DIR.glob("*.json")}
    if not found:
        raise SystemExit(f"no figures in {FIGURES_DIR}: run pytest -m faults tests/faults first")
    ordered = [found[name] for name in ORDER if name in found]
    ordered += [entry for name, entry in sorted(found.items()) if name not in ORDER]
    write_section(render(ordered), start_mark=START, end_mark=END)
    print(f"bench/RESULTS.md: {len(ordered)} fault(s) written")


if __name__ == "__main__":
    main()
