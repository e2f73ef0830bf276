from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from annquiz.accounts.usernames import username_refusal

if TYPE_CHECKING:
    _UserCreationForm = UserCreationForm[User]
    _AdminUserCreationForm = auth_forms.AdminUserCreationForm[User]
    _UserChangeForm = auth_forms.UserChangeForm[User]
else:  # the form classes are generic only in the type stubs
    _UserCreationForm = UserCreationForm
    _AdminUserCreationForm = auth_forms.AdminUserCreationForm
    _UserChangeForm = auth_forms.UserChangeForm


class DistinctUsernameMixin:
    """Refuse a username that mixes confusable scripts or looks like another user's
    (``usernames.py``); on a change form, only when the username is changed."""

    def clean_username(self) -> Any:
        form: Any = self
        parent = getattr(super(), "clean_username", None)
        username = parent() if parent is not None else form.cleaned_data.get("username")
        if not username or form.has_error("username"):
            return username
        if form.instance.pk is not None and "username" not in form.changed_data:
            return username
        problem = username_refusal(username, exclude_user_id=form.instance.pk)
        if problem is not None:
            raise ValidationError(problem, code="confusable_username")
        return username


class SignupForm(DistinctUsernameMixin, _UserCreationForm):
    """Username and the password twice; the new account is a student."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class AdminUserCreationForm(DistinctUsernameMixin, _AdminUserCreationForm):
    pass


class AdminUserChangeForm(DistinctUsernameMixin, _UserChangeForm):
    pass
