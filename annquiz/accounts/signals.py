"""Every API token of a user is deleted when their password changes, however it changes.

A change is any save that writes a stored password hash different from the one in the
database: ``set_password`` then ``save`` (the password-change page, the admin's form,
``manage.py changepassword``, any management command), ``set_unusable_password``, or a hash
assigned directly. This is the rule Django's sessions follow (the session keeps a hash of the
stored password hash), so tokens and other browsers' sessions end together; Django re-hashing
a password at log-in after an upgrade of its hasher's cost is a change too, once. A
``QuerySet.update(password=...)`` sends no signal and revokes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from annquiz.accounts.tokens import tokens_revoke_for_user

_CHANGED = "_annquiz_password_changed"


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="annquiz-password-changed")
def note_password_change(
    sender: type[AbstractBaseUser],
    instance: AbstractBaseUser,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    setattr(instance, _CHANGED, False)
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. the last_login update of every log-in: no query
    stored = (
        sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    )
    setattr(instance, _CHANGED, stored is not None and stored != instance.password)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="annquiz-revoke-tokens")
def revoke_tokens_after_password_change(
    sender: type[AbstractBaseUser], instance: AbstractBaseUser, **kwargs: Any
) -> None:
    if getattr(instance, _CHANGED, False):
        setattr(instance, _CHANGED, False)
        tokens_revoke_for_user(user_id=instance.pk)
