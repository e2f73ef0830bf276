"""What every benchmark shares: the machine's description, the PostgreSQL database it
measures on, and its own marked section of bench/RESULTS.md."""

from __future__ import annotations

import contextlib
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def machine() -> dict[str, str]:
    """The CPU, cores, memory, OS, Python and load average of this machine."""
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def recreate_database(database: str) -> None:
    """Drop and create the PostgreSQL database ``database`` on the local server."""
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        raise SystemExit(f"--database {database!r}: use lower-case letters, digits and '_'")
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")


def drop_database(database: str) -> None:
    """Drop the PostgreSQL database ``database`` on the local server, if it exists."""
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        raise SystemExit(f"--database {database!r}: use lower-case letters, digits and '_'")
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def write_section(section: str, *, start_mark: str, end_mark: str) -> None:
    """Replace one benchmark's section of RESULTS.md (between its marks), or append it;
    keep everything else."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    pattern = re.compile(re.escape(start_mark) + r".*?" + re.escape(end_mark) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
    RESULTS.write_text(text)
