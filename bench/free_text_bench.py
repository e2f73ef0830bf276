"""Free-text grading benchmark: time per answer, agreement with the teachers' verdicts, and
the confidence of the gradings.

Run from the repository root (no database, no network)::

    .venv/bin/python -m bench.free_text_bench              # a few seconds; updates RESULTS.md
    .venv/bin/python -m bench.free_text_bench --rounds 3 --no-write

One command, in one fresh process:

1. loads the course (``fixtures/course``), the answer tables
   (``fixtures/course/answer_tables/*.yaml``) and the adversarial answers
   (``tests/annquiz/courses/grading/adversarial_answers.yaml``);
2. grades every table answer once, cold (the first grading of each question parses its
   rubric and fills the per-word caches), then ``--rounds`` more times warm, timing each
   ``grade()`` call with ``time.perf_counter`` (target: p99 <= 50 ms per answer, CPU only),
   and each question's longest table answer repeated to 5,000 characters, the most a student
   may send;
3. counts how many verdicts agree with the tables and with the adversarial set, and the two
   errors that matter most: a wrong answer graded ``correct`` (target: none) and a right one
   denied it;
4. reports the distribution of the gradings' confidence and how many would be flagged for
   review below ``ANNQUIZ_REVIEW_CONFIDENCE`` (default 0.6, as in the settings);
5. writes its section of ``bench/RESULTS.md`` (between ``<!-- free_text_bench -->`` markers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from annquiz.courses.content import load_course
from annquiz.courses.grading import Grade, grade
from bench import common

ROOT = Path(__file__).resolve().parent.parent
COURSE_DIR = ROOT / "fixtures" / "course"
GRADING_TESTS = ROOT / "tests" / "annquiz" / "courses" / "grading"
START_MARK = "<!-- free_text_bench -->"
END_MARK = "<!-- /free_text_bench -->"
TARGET_P99_MS = 50.0


def load_cases() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The table answers and the adversarial answers, each as {question, text, choice, expect}."""
    tables: list[dict[str, Any]] = []
    for path in sorted((ROOT / "fixtures" / "course" / "answer_tables").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data["cases"]:
            tables.append(
                {
                    "question": data["question"],
                    "text": entry["text"],
                    "choice": entry.get("choice"),
                    "expect": entry["expect"],
                }
            )
    adversarial = [
        {**item, "expect": item["verdict"]}
        for item in yaml.safe_load(
            (GRADING_TESTS / "adversarial_answers.yaml").read_text(encoding="utf-8")
        )
    ]
    return tables, adversarial


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds over the tables")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args()
    threshold = float(os.environ.get("ANNQUIZ_REVIEW_CONFIDENCE") or 0.6)

    course = load_course(COURSE_DIR)
    questions = {q.key: q for lesson in course.lessons for q in lesson.questions}
    tables, adversarial = load_cases()

    def run(case: dict[str, Any]) -> tuple[Grade, float]:
        question = questions[case["question"]]
        response: dict[str, Any] = {"text": case["text"]}
        if question.config.get("choices"):
            right = next(c["key"] for c in question.config["choices"] if c.get("correct"))
            response["choice"] = case.get("choice") or right
        start = time.perf_counter()
        result = grade(question.kind, question.config, response)
        return result, (time.perf_counter() - start) * 1000

    cold = [run(case) for case in tables]
    warm: list[float] = []
    for _ in range(args.rounds):
        warm.extend(ms for _, ms in (run(case) for case in tables))

    # The longest answer a student may send: each question's longest table answer repeated
    # up to 5,000 characters.
    longest: list[float] = []
    for key in sorted({case["question"] for case in tables}):
        text = max((c["text"] for c in tables if c["question"] == key), key=len)
        long_case = {"question": key, "text": ((text + " ") * 5000)[:5000].strip()}
        longest.extend(run(long_case)[1] for _ in range(3))

    def agreement(cases: list[dict[str, Any]], grades: list[Grade]) -> dict[str, int]:
        pairs = list(zip(cases, grades, strict=True))
        return {
            "agree": sum(g.verdict == c["expect"] for c, g in pairs),
            "total": len(pairs),
            "false_correct": sum(g.verdict == "correct" != c["expect"] for c, g in pairs),
            "right_denied": sum(c["expect"] == "correct" != g.verdict for c, g in pairs),
        }

    table_grades = [g for g, _ in cold]
    on_tables = agreement(tables, table_grades)
    on_adversarial = agreement(adversarial, [run(case)[0] for case in adversarial])
    confidences = [g.confidence for g in table_grades]
    buckets = Counter(
        "1.0"
        if c >= 1.0
        else "0.8 to 0.99"
        if c >= 0.8
        else "0.6 to 0.79"
        if c >= 0.6
        else "below 0.6"
        for c in confidences
    )
    flagged = [
        (case, g) for case, g in zip(tables, table_grades, strict=True) if g.confidence < threshold
    ]
    flagged_wrong = sum(g.verdict != case["expect"] for case, g in flagged)
    wrong = sum(g.verdict != case["expect"] for case, g in zip(tables, table_grades, strict=True))

    cold_ms = [ms for _, ms in cold]
    info = common.machine()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    p99 = percentile(warm, 0.99)

    def pct(part: int, whole: int) -> str:
        return f"{part}/{whole} ({100 * part / whole:.1f} %)"

    lines = [
        START_MARK,
        "## Free-text grading",
        "",
        f"Produced by `.venv/bin/python -m bench.free_text_bench` on {now}.",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, {info['os']}; "
        f"Python {info['python']}. Load average when the run ended: {info['load']} (the "
        "machine may be shared, which slows every figure alike).",
        "",
        f"Answers: the {len(tables)} answers of the answer tables "
        "(`fixtures/course/answer_tables/`), graded with the course's own rubrics "
        f"by `annquiz.courses.grading.grade` in one process on the CPU; {args.rounds} warm "
        f"rounds after a cold one. The adversarial set: {len(adversarial)} answers "
        "(`tests/annquiz/courses/grading/adversarial_answers.yaml`).",
        "",
        "| Measurement | Figure | Target | Verdict |",
        "|---|---|---|---|",
        f"| Time per answer, warm, p50 | {statistics.median(warm):.2f} ms | | |",
        f"| Time per answer, warm, p99 | {p99:.2f} ms | <= {TARGET_P99_MS:.0f} ms | "
        f"{common.verdict(p99 <= TARGET_P99_MS)} |",
        f"| Time per answer, warm, max | {max(warm):.2f} ms | | |",
        f"| Time per answer, cold (first grading of each answer), p50 / p99 / max | "
        f"{statistics.median(cold_ms):.2f} / {percentile(cold_ms, 0.99):.2f} / "
        f"{max(cold_ms):.2f} ms | | |",
        f"| Time per 5,000-character answer (the longest allowed), median / max | "
        f"{statistics.median(longest):.1f} / {max(longest):.1f} ms | | |",
        f"| Agreement with the tables (correct / partial / incorrect) | "
        f"{pct(on_tables['agree'], on_tables['total'])} | >= 90 % | "
        f"{common.verdict(on_tables['agree'] >= 0.9 * on_tables['total'])} |",
        f"| Table answers graded correct that must not be | {on_tables['false_correct']} | 0 | "
        f"{common.verdict(on_tables['false_correct'] == 0)} |",
        f"| Right table answers not graded correct | {on_tables['right_denied']} | | |",
        f"| Agreement with the adversarial set | "
        f"{pct(on_adversarial['agree'], on_adversarial['total'])} | >= 90 % | "
        f"{common.verdict(on_adversarial['agree'] >= 0.9 * on_adversarial['total'])} |",
        f"| Adversarial answers graded correct that must not be | "
        f"{on_adversarial['false_correct']} | 0 | "
        f"{common.verdict(on_adversarial['false_correct'] == 0)} |",
        "",
        f"Confidence of the {len(tables)} table gradings: "
        + ", ".join(
            f"{label}: {buckets.get(label, 0)}"
            for label in ("1.0", "0.8 to 0.99", "0.6 to 0.79", "below 0.6")
        )
        + f" (mean {statistics.mean(confidences):.2f}). Flagged for review below "
        f"{threshold:g}: {len(flagged)} ({100 * len(flagged) / len(tables):.1f} %), of which "
        f"{flagged_wrong} disagree with the table; of all {wrong} disagreements, "
        f"{flagged_wrong} are flagged.",
        END_MARK,
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        common.write_section(section, start_mark=START_MARK, end_mark=END_MARK)


if __name__ == "__main__":
    main()
