from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import OperationalError, connection

from annquiz.core.database_retry import retrying_on_connection_loss, transaction_retrying_once


def failing_first(times: int, work: Callable[[], Any]) -> tuple[Callable[[], Any], list[int]]:
    """``work`` that raises OperationalError on its first ``times`` calls (after doing its
    writes, as a connection lost mid-transaction would); the list counts the calls."""
    calls: list[int] = []

    def run() -> Any:
        calls.append(1)
        result = work()
        if len(calls) <= times:
            raise OperationalError("server closed the connection unexpectedly")
        return result

    return run, calls


@pytest.fixture
def commit_fails_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection's first commit is lost: rolled back, OperationalError raised."""
    real_commit = connection.commit
    failed: list[bool] = []

    def commit() -> None:
        if not failed:
            failed.append(True)
            connection.rollback()
            raise OperationalError("connection lost during COMMIT")
        real_commit()

    monkeypatch.setattr(connection, "commit", commit)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_lost_before_its_commit_runs_once_more_and_stores_once() -> None:
    work, calls = failing_first(1, lambda: Group.objects.create(name="retried"))

    group = transaction_retrying_once(work)

    assert len(calls) == 2
    assert list(Group.objects.values_list("pk", flat=True)) == [group.pk]


@pytest.mark.django_db(transaction=True)
def test_a_transaction_lost_twice_raises() -> None:
    work, calls = failing_first(2, lambda: Group.objects.create(name="lost"))

    with pytest.raises(OperationalError):
        transaction_retrying_once(work)

    assert len(calls) == 2
    assert not Group.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("commit_fails_once")
def test_a_commit_lost_is_not_run_again_unless_idempotent() -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        Group.objects.create(name="once")

    with pytest.raises(OperationalError):
        transaction_retrying_once(work)

    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("commit_fails_once")
def test_an_idempotent_transaction_whose_commit_was_lost_runs_once_more() -> None:
    def work() -> Group:
        return Group.objects.get_or_create(name="idempotent")[0]

    group = transaction_retrying_once(work, idempotent=True)

    assert list(Group.objects.values_list("pk", flat=True)) == [group.pk]


@pytest.mark.django_db
def test_nothing_is_run_again_inside_an_enclosing_transaction() -> None:
    work, calls = failing_first(1, lambda: None)

    with pytest.raises(OperationalError):
        transaction_retrying_once(work)
    with pytest.raises(OperationalError):
        retrying_on_connection_loss(failing_first(1, lambda: None)[0], first_pause=0)

    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_work_is_tried_again_until_the_database_answers() -> None:
    work, calls = failing_first(3, lambda: Group.objects.filter(name="x").update(name="y"))

    assert retrying_on_connection_loss(work, first_pause=0) == 0
    assert len(calls) == 4


@pytest.mark.django_db(transaction=True)
def test_work_that_keeps_failing_raises_after_the_last_attempt() -> None:
    work, calls = failing_first(10, lambda: None)

    with pytest.raises(OperationalError):
        retrying_on_connection_loss(work, attempts=3, first_pause=0)

    assert len(calls) == 3
