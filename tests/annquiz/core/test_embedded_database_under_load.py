"""The embedded default under load: ``manage.py serve`` on SQLite (a file in ``var/``), the
embedded Redis and a real worker judging, while concurrent clients answer questions, submit
networks and poll them. Nothing may answer 5xx ("database is locked"), and every submission
accepted reaches a final state."""

from __future__ import annotations

import itertools
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from annquiz.coding.catalog import DEFAULT_CATALOG_DIRECTORY, load_task_folder
from annquiz.coding.statuses import FINISHED_STATUSES
from tests.annquiz.core.serving import READY_LINE, STARTUP_SECONDS, wait_for_text
from tests.http_client import Client
from training.solutions import parse_solution
from training.spec import spec_to_dict

pytestmark = pytest.mark.slow

DEMO_PASSWORD = "load-test-demo"
CLIENTS = 8
# Quick NumPy tasks: their reference solutions train in a second or two.
TASKS = ("handout-keras", "rainfall", "fix-overfitting", "optimizer-race")
SUBMISSIONS_PER_TASK = 4
# A few judgings of several seconds (200 epochs in batches of 2), so that judging goes on
# while the clients answer.
LONG_RUN = {"epochs": 200, "batch_size": 2}
LONG_RUN_SUFFIX = ":long"
LONG_RUN_TASK = "handout-keras" + LONG_RUN_SUFFIX
LONG_RUNS = 2
ANSWER_ROUNDS = 5
JUDGED_WITHIN_SECONDS = 90.0


@pytest.fixture
def serve_env(serve_env: dict[str, str]) -> dict[str, str]:
    return {
        **serve_env,
        "ANNQUIZ_DEMO_PASSWORD": DEMO_PASSWORD,
        # Rate limiting and the cap on a student's active submissions are not under test:
        # every submission should reach the database.
        "ANNQUIZ_SUBMISSION_RATE_LIMIT": "1000",
        "ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT": "1000",
    }


def answer_for(question: dict[str, Any]) -> dict[str, Any] | None:
    """A well-formed response to ``question`` (None for vector answers, whose length depends on
    the student's variant)."""
    config = question["public_config"]
    keys = [choice["key"] for choice in config["choices"]]
    values: dict[str, Any] = {
        "text": "It learns the patterns from examples of data",
        "value": 1.0,
        "choice": keys[0] if keys else None,
        "choices": keys[:1],
    }
    if any(name not in values for name in config["fields"]):
        return None
    return {"response": {name: values[name] for name in config["fields"]}}


def questions(client: Client) -> list[dict[str, Any]]:
    _, courses = client.call("GET", "/api/v1/courses/")
    found = []
    for lesson_id in itertools.count(1):
        status, lesson = client.call("GET", f"/api/v1/lessons/{lesson_id}/")
        if status == 404:
            break
        assert status == 200, (status, lesson)
        found += [block["question"] for block in lesson["blocks"] if block["type"] == "question"]
    assert courses["count"] >= 1 and found
    return found


def submission_body(slug: str, *, fewer_epochs: int = 0, **changes: Any) -> dict[str, Any]:
    """The task's reference solution as a JSON spec, with ``changes`` applied and trained for
    ``fewer_epochs`` epochs less: each submission a network of its own, since the same network
    sent again is answered with the earlier submission."""
    task = load_task_folder(DEFAULT_CATALOG_DIRECTORY / slug)
    spec = spec_to_dict(parse_solution(task.reference_kind, task.reference_source)) | changes
    spec["epochs"] -= fewer_epochs
    return {"spec": spec}


def test_concurrent_answers_submissions_and_judging_on_sqlite_never_answer_5xx(
    serve_process: tuple[subprocess.Popen[bytes], Path, int],
) -> None:
    process, log, port = serve_process
    wait_for_text(log, READY_LINE, process, STARTUP_SECONDS)
    base_url = f"http://127.0.0.1:{port}"
    status, body = Client(base_url).call(
        "POST", "/api/v1/auth/token/", {"username": "student", "password": DEMO_PASSWORD}
    )
    assert status == 200, body
    token = body["token"]
    answers = [
        (question["id"], answer)
        for question in questions(Client(base_url, token))
        if (answer := answer_for(question)) is not None
    ]
    submissions = [slug for _ in range(SUBMISSIONS_PER_TASK) for slug in TASKS]
    submissions[:: len(submissions) // LONG_RUNS] = [LONG_RUN_TASK] * LONG_RUNS
    bodies = [
        submission_body(
            slug.removesuffix(LONG_RUN_SUFFIX),
            fewer_epochs=index // len(TASKS),  # each task once in every len(TASKS)
            **(LONG_RUN if slug == LONG_RUN_TASK else {}),
        )
        for index, slug in enumerate(submissions)
    ]
    # Submissions and answers interleaved, so judging overlaps with answering.
    jobs: list[tuple[str, Any]] = []
    answer_jobs = [("answer", job) for _ in range(ANSWER_ROUNDS) for job in answers]
    step = max(1, len(answer_jobs) // len(submissions))
    for index in range(len(submissions)):
        jobs.append(("submission", index))
        jobs += answer_jobs[index * step : (index + 1) * step]
    jobs += answer_jobs[len(submissions) * step :]

    clients = [Client(base_url, token) for _ in range(CLIENTS)]
    accepted: list[int] = []
    judged: set[int] = set()
    all_sent = threading.Barrier(CLIENTS)
    deadline = time.monotonic() + JUDGED_WITHIN_SECONDS

    def run(number: int) -> None:
        client = clients[number]
        for kind, job in jobs[number::CLIENTS]:
            if kind == "submission":
                slug = submissions[job].removesuffix(LONG_RUN_SUFFIX)
                status, body = client.call(
                    "POST", f"/api/v1/tasks/{slug}/submissions/", bodies[job]
                )
                if status == 202:
                    accepted.append(body["id"])
            else:
                question_id, answer = job
                client.call("POST", f"/api/v1/questions/{question_id}/answers/", answer)
        all_sent.wait()
        # Go on answering (409 once the attempts are used: still a locked transaction) and
        # polling while the worker judges, until every submission is judged.
        for question_id, answer in itertools.cycle(answers[number::CLIENTS] or answers):
            waiting = [pk for pk in accepted[number::CLIENTS] if pk not in judged]
            if not waiting or time.monotonic() > deadline:
                return
            for submission_id in waiting:
                status, body = client.call("GET", f"/api/v1/submissions/{submission_id}/")
                if status == 200 and body["status"] in FINISHED_STATUSES:
                    judged.add(submission_id)
            client.call("POST", f"/api/v1/questions/{question_id}/answers/", answer)
            time.sleep(0.1)

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(run, range(CLIENTS)))
    seconds = time.monotonic() - started

    statuses = sum((client.statuses for client in clients), Counter())
    errors = [error for client in clients for error in client.server_errors]
    print(
        f"{sum(statuses.values())} requests in {seconds:.1f} s, "
        f"statuses {dict(sorted(statuses.items()))}, {len(accepted)} submissions accepted"
    )
    assert errors == [], "\n".join(errors[:10])
    assert len(accepted) == len(submissions)
    not_judged = sorted(set(accepted) - judged)
    assert not_judged == [], f"not judged within {JUDGED_WITHIN_SECONDS:g} s: {not_judged}"
