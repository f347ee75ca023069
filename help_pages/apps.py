from django.apps import AppConfig


class HelpPagesConfig(AppConfig):
    name = "help_pages"
    verbose_name = "Help"
