"""Organizer console (Django admin) for the exams app; importing it registers every part."""

from exams.admin import attempts, registrations, setup  # noqa: F401
