from django.apps import AppConfig


class CodingConfig(AppConfig):
    """Graded coding tasks: the task catalog, submissions and the workers that grade them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "annquiz.coding"
