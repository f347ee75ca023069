"""The checks: pure functions from plain facts to issues, one module per kind of object.

They know nothing of the database: ``security.validation`` gathers the facts, runs the checks and
stores the issues as findings. Every issue has a stable code from ``codes.CODES``.
"""

from .codes import CODES, ERROR, INFO, WARNING, Issue

__all__ = ["CODES", "ERROR", "INFO", "WARNING", "Issue"]
