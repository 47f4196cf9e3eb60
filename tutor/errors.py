"""The one error type front ends turn into a one-line reason and exit code 2."""


class UserError(Exception):
    """Something the user can fix; str(error) is the one line shown, saying what to do."""

    exit_code = 2
