"""Sign-up, log-out with a notice of what it ends, and the password change; log-in is
Django's own view (see urls.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from annquiz.accounts.forms import SignupForm


def logout_notice() -> str:
    """What logging out ends, and what it does not (shown on the page it leads to)."""
    hours = settings.ANNQUIZ_TOKEN_TTL_HOURS
    lifetime = f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours"
    return (
        "You are logged out in this browser. Your API tokens still work until they expire "
        f"({lifetime} after they were issued), and other browsers stay logged in: changing "
        "your password revokes every token and logs out every other browser."
    )


class LogoutView(auth_views.LogoutView):
    """Django's log-out (POST only), then the notice of what it did not end."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, logout_notice())
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password (old one, new one twice): every API token of the account is then
    revoked (``signals.py``) and other browsers' sessions end; this one stays logged in."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    """Create a student account, log it in and go to ``next`` or the course list."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated:
        return _redirect_after_login(request, next_url)
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    user = form.save()
            except IntegrityError:
                # The same username was signed up between the form's check and the insert.
                username_field = User._meta.get_field("username")
                form.add_error("username", username_field.error_messages["unique"])
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return _redirect_after_login(request, next_url)
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


def _redirect_after_login(request: HttpRequest, next_url: str) -> HttpResponseRedirect:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    try:
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))
    except NoReverseMatch:
        return redirect("home")
