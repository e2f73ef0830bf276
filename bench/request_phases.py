"""Where a request's time goes: exclusive time per phase, measured in-process.

``measure_phases`` sends requests through Django's test client (the whole middleware stack,
the view, the templates and the database) with these functions timed meanwhile:

- ``session``: the session store's ``load`` (reading the session row);
- ``user``: loading the logged-in user (``django.contrib.auth.get_user``) or, on the API,
  DRF's authentication (the token and its user);
- ``view``: the view function itself;
- ``templates``: rendering a template (``django.template.base.Template.render``);
- ``database``: every round trip to the database (``connection.execute_wrapper``);
- ``middleware and framework``: everything else in the request (middleware, URL resolving,
  building the request and the response, the test client's own small share).

Each phase's time is its own, without the phases inside it (a query run by a template counts
as ``database``, not ``templates``), so the phases add up to the request's wall time.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

REQUEST = "middleware and framework"
PHASES = ("session", "user", "view", "templates", "database", REQUEST)


class PhaseClock:
    """Exclusive (self) wall time per phase; phases nest."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.queries = 0
        self._children: list[float] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        self._children.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            children = self._children.pop()
            self.seconds[name] += elapsed - children
            if self._children:
                self._children[-1] += elapsed


@contextmanager
def _timed(owner: Any, attribute: str, clock: PhaseClock, name: str) -> Iterator[None]:
    original = getattr(owner, attribute)

    def timed(*args: Any, **kwargs: Any) -> Any:
        with clock.phase(name):
            return original(*args, **kwargs)

    setattr(owner, attribute, timed)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


@contextmanager
def _views_timed(clock: PhaseClock) -> Iterator[None]:
    from django.core.handlers.base import BaseHandler

    original = BaseHandler.resolve_request

    def resolve_request(self: BaseHandler, request: Any) -> Any:
        match = original(self, request)
        view = match.func

        @functools.wraps(view)  # keeps the view's marks, such as ``csrf_exempt``
        def timed_view(*args: Any, **kwargs: Any) -> Any:
            with clock.phase("view"):
                return view(*args, **kwargs)

        return timed_view, match.args, match.kwargs

    BaseHandler.resolve_request = resolve_request  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseHandler.resolve_request = original  # type: ignore[method-assign]


@contextmanager
def _instrumented(clock: PhaseClock) -> Iterator[None]:
    import django.contrib.auth
    from django.conf import settings
    from django.db import connection
    from django.template.base import Template
    from django.utils.module_loading import import_string
    from rest_framework.request import Request

    def database(execute: Callable[..., Any], *args: Any) -> Any:
        clock.queries += 1
        with clock.phase("database"):
            return execute(*args)

    session_store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    with ExitStack() as stack:
        stack.enter_context(_timed(session_store, "load", clock, "session"))
        stack.enter_context(_timed(django.contrib.auth, "get_user", clock, "user"))
        stack.enter_context(_timed(Request, "_authenticate", clock, "user"))
        stack.enter_context(_timed(Template, "render", clock, "templates"))
        stack.enter_context(_views_timed(clock))
        stack.enter_context(connection.execute_wrapper(database))
        yield


def measure_phases(send: Callable[[], Any], *, rounds: int) -> dict[str, float]:
    """Send ``rounds`` requests with ``send`` (which asserts its reply); per request: the
    wall and CPU milliseconds, the queries, and each phase's exclusive milliseconds."""
    clock = PhaseClock()
    with _instrumented(clock):
        cpu_started = time.process_time()
        started = time.perf_counter()
        for _ in range(rounds):
            with clock.phase(REQUEST):
                send()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    figures = {
        "wall_ms": wall / rounds * 1000,
        "cpu_ms": cpu / rounds * 1000,
        "queries": clock.queries / rounds,
    }
    for name in PHASES:
        figures[f"{name}_ms"] = clock.seconds[name] / rounds * 1000
    return {key: round(value, 2) for key, value in figures.items()}
