from django.apps import AppConfig


class CodingConfig(AppConfig):
    """Coding tasks: the task catalog, submissions and the workers that judge them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "annquiz.coding"
