"""A student of the rehearsal, talking to the public address only, as a script would: a token
from ``POST /api/v1/auth/token/``, joining the course with its code, submitting networks and
polling them until a verdict."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from bench.rehearsal.processes import RehearsalError

FINISHED = ("passed", "failed", "diverged", "timed_out", "error")
JUDGED = ("passed", "failed", "diverged")


def call(
    base_url: str, method: str, path: str, body: Any = None, *, token: str = ""
) -> tuple[int, Any]:
    """One JSON request; returns the status and the decoded body (None if not JSON)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, headers=headers, method=method)
    try:
        # Bandit B310 (urlopen of any scheme): the URL is the rehearsal's own http:// address.
        with urllib.request.urlopen(request, timeout=60) as response:  # nosec B310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        raise RehearsalError(f"{method} {base_url}{path}: {error}") from error
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def expect(status: int, body: Any, wanted: tuple[int, ...], what: str) -> Any:
    if status not in wanted:
        raise RehearsalError(f"{what}: HTTP {status} (wanted {wanted}): {str(body)[:500]}")
    return body


@dataclass
class Student:
    base_url: str
    username: str
    token: str = ""

    def log_in(self, password: str) -> None:
        status, body = call(
            self.base_url,
            "POST",
            "/api/v1/auth/token/",
            {"username": self.username, "password": password},
        )
        self.token = str(expect(status, body, (200,), f"token for {self.username}")["token"])

    def join(self, code: str) -> None:
        status, body = call(
            self.base_url, "POST", "/api/v1/memberships/", {"code": code}, token=self.token
        )
        expect(status, body, (200, 201), f"{self.username} joining with code {code}")

    def submit(self, task: str, body: dict[str, Any]) -> dict[str, Any]:
        status, reply = call(
            self.base_url, "POST", f"/api/v1/tasks/{task}/submissions/", body, token=self.token
        )
        result: dict[str, Any] = expect(status, reply, (202,), f"{self.username} submitting")
        return result

    def read(self, url: str) -> dict[str, Any]:
        path = url.removeprefix(self.base_url)
        status, reply = call(self.base_url, "GET", path, token=self.token)
        result: dict[str, Any] = expect(status, reply, (200,), f"{self.username} reading {path}")
        return result


@dataclass
class Followed:
    """A submission being followed until it finishes: who made it and what it last read."""

    student: Student
    submitted: dict[str, Any]
    submitted_at: float
    last: dict[str, Any] | None = None
    seen_finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.seen_finished_at is not None


def follow_until_finished(
    followed: list[Followed], *, timeout: float, interval: float = 0.5
) -> None:
    """Poll every unfinished submission through the API until each is finished."""
    deadline = time.monotonic() + timeout
    while True:
        for item in followed:
            if item.finished:
                continue
            item.last = item.student.read(item.submitted["url"])
            if item.last["finished"]:
                item.seen_finished_at = time.monotonic()
        waiting = [item for item in followed if not item.finished]
        if not waiting:
            return
        if time.monotonic() > deadline:
            states = ", ".join(
                f"#{item.submitted['id']} {(item.last or item.submitted)['status']}"
                for item in waiting
            )
            raise RehearsalError(
                f"{len(waiting)} submission(s) not finished within {timeout:.0f} s: {states}"
            )
        time.sleep(interval)
