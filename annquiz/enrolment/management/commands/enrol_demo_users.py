"""``manage.py enrol_demo_users``: the demo accounts in each content's default course, and
the courses' join codes (run by ``create_demo_users`` and ``serve``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from annquiz.enrolment.services import demo_users_enrol


class Command(BaseCommand):
    help = (
        "Enrol the demo instructor as instructor and the demo student as student of every "
        "content's default course, and print each course's join code. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for offering in demo_users_enrol():
            self.stdout.write(
                f"{offering.title} (/courses/{offering.slug}/): course code {offering.join_code}"
            )
