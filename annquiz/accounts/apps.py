from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "annquiz.accounts"

    def ready(self) -> None:
        from annquiz.accounts import signals  # noqa: F401  (connects the receivers)
