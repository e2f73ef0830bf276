"""Database work that survives a lost connection (a restarted database, a terminated backend).

A connection that dies raises ``OperationalError`` or ``InterfaceError`` on its next statement.
Django then keeps the broken connection until the request or task ends; these helpers close it
so that the next attempt connects afresh.

- ``transaction_retrying_once(work)`` runs ``work`` in one transaction and runs it once more
  when the connection was lost before the commit: the database rolled everything back, so
  nothing happened twice. A loss during the commit itself leaves unknown whether the commit
  went through; that is retried only when ``idempotent`` (running ``work`` twice has the effect
  of running it once, e.g. a create under an idempotency key that ``work`` looks up first).
- ``retrying_on_connection_loss(work)`` keeps calling ``work``, which must be idempotent (a
  conditional update), with a growing pause, until the database is back or the attempts end.

Neither retries inside an enclosing transaction: that transaction is lost as a whole.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

CONNECTION_LOST = (OperationalError, InterfaceError)


def connection_discard(using: str = DEFAULT_DB_ALIAS) -> None:
    """Close the (broken) connection, so that the next query opens a new one."""
    with contextlib.suppress(DatabaseError):
        connections[using].close()


def transaction_retrying_once(
    work: Callable[[], T], *, idempotent: bool = False, using: str = DEFAULT_DB_ALIAS
) -> T:
    """``work()`` in one transaction, run a second time if the connection was lost before the
    commit (or during it, when ``idempotent``)."""
    if connections[using].in_atomic_block:
        with transaction.atomic(using=using):
            return work()
    committing = False
    try:
        with transaction.atomic(using=using):
            result = work()
            committing = True
        return result
    except CONNECTION_LOST:
        if committing and not idempotent:
            raise
        logger.warning("database connection lost; running the transaction again", exc_info=True)
    connection_discard(using)
    with transaction.atomic(using=using):
        return work()


def retrying_on_connection_loss(
    work: Callable[[], T],
    *,
    attempts: int = 8,
    first_pause: float = 0.25,
    longest_pause: float = 4.0,
    using: str = DEFAULT_DB_ALIAS,
) -> T:
    """``work()``, called again after a lost connection, up to ``attempts`` times in all, with
    a pause that doubles from ``first_pause`` up to ``longest_pause`` seconds (16 s in all
    with the defaults). ``work`` must be idempotent and must not run in a transaction
    of the caller's."""
    pause = first_pause
    for attempt in range(1, attempts):
        try:
            return work()
        except CONNECTION_LOST:
            if connections[using].in_atomic_block:
                raise
            logger.warning(
                "database connection lost (attempt %d of %d); trying again in %.2f s",
                attempt,
                attempts,
                pause,
            )
        connection_discard(using)
        time.sleep(pause)
        pause = min(pause * 2, longest_pause)
    return work()
