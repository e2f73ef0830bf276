"""The demo accounts in the courses: the demo instructor teaches the default courses and the
generated demo course as their instructor, without being staff."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annquiz.core.services import demo_users_ensure
from annquiz.dashboards.demo_course import demo_course_generate
from annquiz.enrolment import selectors
from annquiz.enrolment.models import Membership, Offering, Role
from annquiz.enrolment.services import demo_users_enrol
from tests.annquiz.courses.factories import CourseFactory, default_offering

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]


def test_the_demo_instructor_teaches_the_default_course_and_is_not_staff() -> None:
    course = default_offering(CourseFactory.create(slug="ann-handout"))
    elsewhere = Offering.objects.create(slug="elsewhere", title="Elsewhere", course=course.course)
    demo_users_ensure(password="pw-demo")

    demo_users_enrol()

    instructor = User.objects.get(username="instructor")
    assert not instructor.is_staff and not instructor.is_superuser
    assert selectors.role_in(user=instructor, offering=course) == Role.INSTRUCTOR
    client = Client()
    client.force_login(instructor)
    assert client.get(reverse("gradebook:page", args=[course.slug])).status_code == 200
    assert client.get(reverse("dashboards:overview", args=[course.slug])).status_code == 200
    assert client.get(reverse("dashboards:overview", args=[elsewhere.slug])).status_code == 404


def test_the_generated_demo_course_is_taught_by_the_demo_instructor() -> None:
    CourseFactory.create(slug="ann-handout")
    demo_users_ensure(password="pw-demo")

    demo = demo_course_generate(
        content_slug="ann-handout", slug="demo-course", students=5, submissions=0
    ).offering

    assert Membership.objects.filter(
        offering=demo, user__username="instructor", role=Role.INSTRUCTOR
    ).exists()
    assert Membership.objects.filter(offering=demo, role=Role.STUDENT).count() == 5
