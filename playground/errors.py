"""The one error type the front ends turn into a one-line message and an exit code."""


class PlaygroundError(Exception):
    """A problem with the user's input or environment, reported without a traceback.

    ``exit_code`` is 2 for usage and input errors (the default), as the CLI promises.
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


def one_line(exc: BaseException) -> str:
    """An unexpected exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
