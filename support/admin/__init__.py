"""Organizer console for support; importing it registers every part."""

from support.admin import staffed_hours, tickets  # noqa: F401
