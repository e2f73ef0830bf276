"""``manage.py create_demo_users``: the demo instructor and student, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from annquiz.core.services import DEMO_PASSWORD_ENV, demo_password, demo_users_ensure


class Command(BaseCommand):
    help = (
        "Create or update the demo instructor ('instructor', staff, in the instructors group) "
        f"and the demo student ('student'). Password from {DEMO_PASSWORD_ENV} or the default. "
        "With the enrolment app, they join each content's default course (enrol_demo_users)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        users = demo_users_ensure(password=demo_password())
        self.stdout.write("Demo logins:")
        for user in users:
            self.stdout.write(f"  {user.role:<11} {user.username} / {user.password}")
        if "enrol_demo_users" in get_commands():
            self.stdout.write("Courses:")
            call_command("enrol_demo_users", stdout=self.stdout)
