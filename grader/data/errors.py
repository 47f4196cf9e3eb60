"""The data layer's error (kept import-light: front ends catch it on their fast paths)."""


class DataError(Exception):
    """A data problem a user can fix; the message says what to do."""
