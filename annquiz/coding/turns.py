"""Whose submission a worker judges next: the students take turns, not their messages.

A judging message is a turn on its queue (one per backend), not a ticket for one
submission: the worker that receives it judges the queued submission whose student's turn it
is (``annquiz.coding.judging``). Students are served in this order:

1. the fewest submissions running at the moment first (a student already being judged waits
   behind one who is not);
2. then the student whose last judging started longest ago (a student never judged first):
   round-robin, so one student's ten queued submissions alternate with everyone else's one;
3. then the student's oldest submission.

Every submission has its message, and a message whose own submission was taken in another's
turn judges the next one in turn instead, so the messages still judge every submission.
"""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status

# Submissions a worker tries to claim in one look at the queue (others may claim some first).
TURN_CANDIDATES = 8


def turn_order(*, queue: str) -> QuerySet[Submission]:
    """The queued submissions of ``queue``, the next one to judge first."""
    running = (
        Submission.objects.filter(student_id=OuterRef("student_id"), status=Status.RUNNING)
        .order_by()
        .values("student_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_started = (
        Submission.objects.filter(student_id=OuterRef("student_id"), started_at__isnull=False)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    return (
        Submission.objects.filter(status=Status.QUEUED, queue=queue)
        .annotate(
            student_running=Coalesce(Subquery(running), Value(0), output_field=IntegerField()),
            student_last_started=Subquery(last_started),
        )
        .order_by(
            "student_running",
            F("student_last_started").asc(nulls_first=True),
            "created_at",
            "pk",
        )
    )


def next_in_turn(*, queue: str, limit: int = TURN_CANDIDATES) -> list[int]:
    """Ids of the first ``limit`` queued submissions of ``queue`` in turn order."""
    return list(turn_order(queue=queue).values_list("pk", flat=True)[:limit])


def turn_position(*, submission: Submission) -> int:
    """1 for the queued submission judged next on its queue, 2 for the one after, ..."""
    order = list(turn_order(queue=submission.queue).values_list("pk", flat=True))
    return order.index(submission.pk) + 1 if submission.pk in order else len(order) + 1
