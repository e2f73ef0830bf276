"""What a dashboard shows: a date range, one group of students (or all) and which attempt the
item statistics use, read from the query string. A bad value is a 400 naming the parameter
(an unknown group too: see ``group_check``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.utils import timezone

from annquiz.core.errors import ServiceError
from annquiz.dashboards.item_statistics import ATTEMPT_POLICIES, AttemptPolicy
from annquiz.enrolment.models import GROUP_MAX_LENGTH


class BadFilter(ServiceError):
    status_code = 400


@dataclass(frozen=True)
class Filters:
    since: date | None = None  # from this day on (inclusive)
    until: date | None = None  # up to this day (inclusive)
    attempt: AttemptPolicy = "first"
    group: str | None = None  # only the students of this group (None: every student)

    @property
    def start(self) -> datetime | None:
        if self.since is None:
            return None
        return timezone.make_aware(datetime.combine(self.since, time.min))

    @property
    def end(self) -> datetime | None:
        """The first moment after the range (exclusive)."""
        if self.until is None:
            return None
        return timezone.make_aware(datetime.combine(self.until + timedelta(days=1), time.min))

    def query(self) -> str:
        """The query string that keeps these filters (for links between dashboards)."""
        parts = [f"attempt={self.attempt}"]
        if self.since:
            parts.append(f"from={self.since.isoformat()}")
        if self.until:
            parts.append(f"to={self.until.isoformat()}")
        if self.group:
            parts.append(urlencode({"group": self.group}))
        return "&".join(parts)


def _day(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadFilter(
            f"must be a date written YYYY-MM-DD, not {raw[:40]!r}", field=name
        ) from None


def filters_parse(params: Mapping[str, str]) -> Filters:
    """``from`` and ``to`` (YYYY-MM-DD, both optional), ``attempt`` (first, last, best) and
    ``group`` (a group's name; empty: every student)."""
    since, until = _day(params, "from"), _day(params, "to")
    if since and until and since > until:
        raise BadFilter("must not be after the end of the range (to)", field="from")
    attempt = params.get("attempt", "first").strip() or "first"
    if attempt not in ATTEMPT_POLICIES:
        raise BadFilter(
            f"must be one of {', '.join(ATTEMPT_POLICIES)}, not {attempt[:40]!r}", field="attempt"
        )
    group = " ".join(params.get("group", "").split()) or None
    if group is not None and len(group) > GROUP_MAX_LENGTH:
        raise BadFilter(f"must be at most {GROUP_MAX_LENGTH} characters", field="group")
    return Filters(since=since, until=until, attempt=attempt, group=group)


def group_check(filters: Filters, groups: list[str]) -> None:
    """Refuse a group the course does not have (``groups``: its groups' names)."""
    if filters.group is not None and filters.group not in groups:
        known = ", ".join(groups) if groups else "none yet"
        raise BadFilter(
            f"this course has no group {filters.group!r} (its groups: {known})", field="group"
        )
