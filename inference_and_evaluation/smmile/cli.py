"""The command line's rules: one-line argument errors, each default shown once in --help, the
seed's underscore spelling beside every dashed flag, and numeric flags checked where parsed."""

from __future__ import annotations

import argparse
from collections.abc import Callable

EXIT_USER_ERROR = 2


class ScriptParser(argparse.ArgumentParser):
    """A bad argument is one line and exit 2, like every other bad input."""

    def error(self, message: str):
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message}\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each flag's default shown once: not for on/off switches (the flag's name says it), not
    when there is none, not when the help text already states it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        switch = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
        if switch or action.default in (None, argparse.SUPPRESS) or "default" in text.lower():
            return text
        return super()._get_help_string(action)


def add_flag(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, name: str, **options
) -> argparse.Action:
    """`name` and its other spelling (`--a-b` and `--a_b`, in that order), stored as `a_b`."""
    other = name.replace("_", "-") if "_" in name else "--" + name[2:].replace("-", "_")
    return parser.add_argument(name, other, dest=name[2:].replace("-", "_"), **options)


def at_least(low: int | float, kind: type, noun: str = "a number") -> Callable[[str], int | float]:
    """A flag's type: a `kind` number of at least `low` (else one line naming the flag)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}")
        return value

    return parse


def redefault(parser: argparse.ArgumentParser, dest: str, default: object, said: str) -> None:
    """Give a common flag another default in one script, its --help saying so (`said`)."""
    for action in parser._actions:
        if action.dest == dest:
            action.default = default
            action.help = f"{(action.help or '').split(' (default')[0]}; {said}"
            return
    raise ValueError(f"no flag with dest {dest!r}")
