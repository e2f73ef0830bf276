"""The admin's user pages, with the sign-up's username rule (``usernames.py``)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User

from annquiz.accounts.forms import AdminUserChangeForm, AdminUserCreationForm


class UserAdmin(DjangoUserAdmin):
    add_form = AdminUserCreationForm
    form = AdminUserChangeForm


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
