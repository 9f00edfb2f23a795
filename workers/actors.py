"""Imports every actor module so each declares its actors on the installed broker."""

from workers import checkout, imports, payments  # noqa: F401
