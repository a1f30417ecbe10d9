"""Command-line options made from the settings' declarations (engine.config), in the spirit of
llm's shared option decorators: a setting gets its flag, type and help in one place.

Every generated option is None unless given, so domain defaults and config files still apply.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from playground.engine.config import Setting, declared
from playground.errors import PlaygroundError


def _shown_default(setting: Setting) -> str:
    if setting.default is None or setting.default == "" or setting.type is bool:
        return ""  # None's meaning is in the help; a flag's default goes without saying
    return f" [built-in: {setting.default}]"


def as_flags(exc: PlaygroundError, given: list[Setting]) -> PlaygroundError:
    """A setting's error in the words the user typed: ``top_p must be ...`` reads ``--top-p must
    be ...`` when the value came from the flag (from a config file, the setting's name stays)."""
    message = str(exc)
    for setting in given:
        if message.startswith(f"{setting.name} "):
            return PlaygroundError(setting.flag + message[len(setting.name):], exc.exit_code)
    return exc


def option(setting: Setting) -> inspect.Parameter:
    """The typer parameter of one setting."""
    help_text = escape(setting.help + _shown_default(setting))  # [..] is not markup
    annotation = Annotated[Optional[setting.type], typer.Option(setting.flag, help=help_text, show_default=False)]
    return inspect.Parameter(setting.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def with_settings(*sections: str, after: int = 1):
    """Give a command an option per setting of ``sections`` (placed after its first ``after``
    parameters); the command receives them as ``settings``, a dict (None: not given)."""
    settings = declared(*sections)

    def decorate(func):
        own = [p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "settings"]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any):
            given = {s.name: kwargs.pop(s.name, None) for s in settings}
            try:
                return func(*args, settings=given, **kwargs)
            except PlaygroundError as exc:
                raise as_flags(exc, [s for s in settings if given[s.name] is not None]) from None

        keyword = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own[after:]]
        wrapper.__signature__ = inspect.Signature([*own[:after], *map(option, settings), *keyword])
        return wrapper

    return decorate
