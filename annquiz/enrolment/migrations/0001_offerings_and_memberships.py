"""Offerings of the course content, memberships, invitations and per-offering settings.

Before offerings, every signed-up user read every course. So that no one loses what they had,
each existing content gets its default offering (slug and title of the content, a fresh join
code), every member of the "instructors" group becomes its instructor and every other
non-staff user its student (staff read everything without being members).
"""

from __future__ import annotations

from typing import Any

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import annquiz.enrolment.codes

INSTRUCTORS_GROUP = "instructors"


def default_offerings(apps: Any, schema_editor: Any) -> None:
    Course = apps.get_model("courses", "Course")
    Offering = apps.get_model("enrolment", "Offering")
    Membership = apps.get_model("enrolment", "Membership")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    offerings = [
        Offering.objects.get_or_create(
            slug=course.slug, defaults={"course": course, "title": course.title}
        )[0]
        for course in Course.objects.order_by("id")
    ]
    users = User.objects.filter(is_staff=False, is_superuser=False)
    instructors = set(
        User.objects.filter(groups__name=INSTRUCTORS_GROUP).values_list("id", flat=True)
    )
    students = set(users.values_list("id", flat=True)) - instructors
    Membership.objects.bulk_create(
        [
            Membership(user_id=user_id, offering=offering, role=role)
            for offering in offerings
            for ids, role in ((instructors, "instructor"), (students, "student"))
            for user_id in sorted(ids)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("courses", "0002_protect_answered_questions"),
        ("coding", "0003_verdict_figures"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Offering",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(max_length=100, unique=True)),
                ("title", models.CharField(max_length=200)),
                (
                    "join_code",
                    models.CharField(
                        default=annquiz.enrolment.codes.join_code_new, max_length=16, unique=True
                    ),
                ),
                (
                    "is_open",
                    models.BooleanField(
                        default=True,
                        help_text="Students may join with the join code (invitations always work).",
                    ),
                ),
                ("starts_at", models.DateTimeField(blank=True, null=True)),
                (
                    "ends_at",
                    models.DateTimeField(
                        blank=True, help_text="No one joins with the code after the end.", null=True
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "course",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="offerings",
                        to="courses.course",
                    ),
                ),
            ],
            options={
                "ordering": ("title", "id"),
            },
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "token",
                    models.CharField(
                        default=annquiz.enrolment.codes.invitation_token_new,
                        max_length=64,
                        unique=True,
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[("student", "Student"), ("instructor", "Instructor")],
                        default="student",
                        max_length=16,
                    ),
                ),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                (
                    "max_uses",
                    models.PositiveIntegerField(
                        blank=True,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(1)],
                    ),
                ),
                ("uses", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "offering",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="enrolment.offering",
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at", "-id"),
            },
        ),
        migrations.CreateModel(
            name="Membership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[("student", "Student"), ("instructor", "Instructor")],
                        max_length=16,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "offering",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="enrolment.offering",
                    ),
                ),
            ],
            options={
                "ordering": ("offering_id", "role", "user_id"),
                "indexes": [
                    models.Index(fields=["offering", "role"], name="enrolment_member_role")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "offering"),
                        name="enrolment_membership_unique_user_offering",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LessonDeadline",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("due_at", models.DateTimeField()),
                (
                    "lesson",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="courses.lesson",
                    ),
                ),
                (
                    "offering",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lesson_deadlines",
                        to="enrolment.offering",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("offering", "lesson"), name="enrolment_lesson_deadline_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TaskSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("due_at", models.DateTimeField(blank=True, null=True)),
                (
                    "max_attempts",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Attempts allowed in this offering; empty: the task's own.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(1000),
                        ],
                    ),
                ),
                (
                    "offering",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="task_settings",
                        to="enrolment.offering",
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="coding.codingtask",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "task settings",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("offering", "task"), name="enrolment_task_settings_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(default_offerings, migrations.RunPython.noop),
    ]
