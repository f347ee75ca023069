"""The project package. The Celery app is loaded on first use, not with the settings.

Importing Celery (with kombu and its transports) costs about a tenth of a second, which every
``manage.py`` command, and every process that never sends a task, would otherwise pay at start. The
task modules import ``cobrowse_admin.celery`` themselves, so a task is always bound to this app;
``celery -A cobrowse_admin`` finds ``cobrowse_admin.celery.app`` on its own.
"""

# The console's version: the one place it is written (the compliance report is signed with it).
__version__ = "1.14.0"


def __getattr__(name: str):
    if name == "celery_app":
        from cobrowse_admin.celery import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ("__version__", "celery_app")
