"""A small JSON client for tests that talk to a real server (gunicorn, ``manage.py serve``)
over HTTP, as a browser or script would."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from typing import Any


class Client:
    """JSON over HTTP to a running server, with an API token; counts every status it
    receives and keeps the 5xx."""

    def __init__(self, base_url: str, token: str = "") -> None:
        self.base_url = base_url
        self.token = token
        self.statuses: Counter[int] = Counter()
        self.server_errors: list[str] = []
        # The headers of the last response (e.g. its Retry-After).
        self.last_headers: dict[str, str] = {}

    def call(
        self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        }
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
                self.last_headers = dict(response.headers.items())
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
            self.last_headers = dict(error.headers.items())
        self.statuses[status] += 1
        if status >= 500:
            self.server_errors.append(f"{method} {path} -> {status}: {raw[:300]!r}")
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None
