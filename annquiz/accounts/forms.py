from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

if TYPE_CHECKING:
    _UserCreationForm = UserCreationForm[User]
else:  # the form class is generic only in the type stubs
    _UserCreationForm = UserCreationForm


class SignupForm(_UserCreationForm):
    """Username and the password twice; the new account is a student."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)
