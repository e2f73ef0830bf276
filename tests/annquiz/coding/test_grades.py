import pytest

from annquiz.coding.grades import submission_score
from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status


@pytest.mark.parametrize(
    ("status", "score"),
    [
        (Status.PASSED, 1.0),
        (Status.FAILED, 0.0),
        (Status.DIVERGED, 0.0),
        (Status.QUEUED, None),
        (Status.RUNNING, None),
        (Status.TIMED_OUT, None),
        (Status.ERROR, None),
    ],
)
def test_a_submission_is_worth_one_when_passed_and_nothing_until_judged(
    status: Status, score: float | None
) -> None:
    assert submission_score(Submission(status=status)) == score
