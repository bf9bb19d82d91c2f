"""The one exception the store raises for anything a user can act on."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be opened, read or written; the message says which store and why."""
