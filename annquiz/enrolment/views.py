"""The pages that make a user a member: ``/join/`` (a course code) and ``/join/<token>/``
(an invitation link). Both need a logged-in user (log-in or sign-up, then back here)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annquiz.core.errors import ServiceError
from annquiz.core.page_errors import page_error
from annquiz.enrolment import selectors, services
from annquiz.enrolment.models import Invitation, Role
from annquiz.enrolment.services import Joined

FIELD_LABELS = {"code": "Course code"}


def _user(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser) and user.is_authenticated  # login_required
    return user


def _joined(request: HttpRequest, joined: Joined) -> HttpResponse:
    offering = joined.membership.offering
    role = Role(joined.membership.role).label.lower()
    if joined.created:
        messages.success(request, f"You joined {offering.title} as a {role}.")
    else:
        messages.info(request, f"You are already in {offering.title} as a {role}.")
    return redirect("courses:course", offering.slug)


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Type a course code to join a course as a student."""
    user = _user(request)
    context = {"has_courses": selectors.has_memberships(user=user), "code": "", "error": None}
    if request.method == "GET":
        return render(request, "enrolment/join.html", context)
    code = str(request.POST.get("code", ""))[:64]
    try:
        joined = services.offering_join_by_code(user=user, code=code)
    except ServiceError as exc:
        refused = page_error(exc, field_labels=FIELD_LABELS)
        context.update(code=code, error=refused.message)
        return render(request, "enrolment/join.html", context, status=refused.status)
    return _joined(request, joined)


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: what it joins, and a button to accept it."""
    user = _user(request)
    if request.method == "POST":
        try:
            joined = services.invitation_accept(user=user, token=token)
        except ServiceError as exc:
            if exc.status_code == 404:
                raise Http404("no such invitation") from None
            refused = page_error(exc, field_labels=FIELD_LABELS)
            found = Invitation.objects.select_related("offering").filter(token=token).first()
            context = {"invitation": found, "error": refused.message}
            return render(request, "enrolment/invitation.html", context, status=refused.status)
        return _joined(request, joined)
    found = selectors.invitation_get_valid(token=token)
    if found is None:
        raise Http404("no such invitation")
    return render(request, "enrolment/invitation.html", {"invitation": found, "error": None})
