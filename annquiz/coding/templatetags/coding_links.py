"""What other apps' pages show of coding tasks, asked for by their templates.

``{% load coding_links %}`` gives the lesson page its tasks, the progress page the student's
standing in each task and the course list the way to the tasks, without the courses app
importing anything of coding: the data stays with the app that owns it (``selectors``).
"""

from __future__ import annotations

from typing import Any

from django import template

from annquiz.coding import selectors
from annquiz.courses.models import Lesson
from annquiz.enrolment.models import Offering

register = template.Library()


@register.simple_tag
def lesson_tasks(lesson: Lesson) -> list[dict[str, Any]]:
    """``{% lesson_tasks lesson as tasks %}``: the tasks practising the lesson's sections."""
    return selectors.tasks_for_lesson(lesson=lesson)


@register.simple_tag
def student_task_progress(student: Any) -> list[dict[str, Any]]:
    """``{% student_task_progress user as tasks %}``: every task with the student's best
    verdict and attempts."""
    return selectors.task_progress_for_student(student=student)


@register.simple_tag
def course_task_count(course: Offering) -> int:
    """``{% course_task_count course as n %}``: how many active tasks the course (an
    offering of the content) has."""
    return selectors.task_count_for_course(course=course)
