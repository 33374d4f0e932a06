"""``WWW-Authenticate`` challenges for the Bearer scheme (RFC 6750 §3)."""

from __future__ import annotations

import re

__all__ = ["BearerWWWAuthenticateHeader"]

# Characters a quoted-string cannot hold even escaped (RFC 7230 §3.2.6):
# controls other than HTAB, and DEL. A CR or LF would split the header.
_UNQUOTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Characters that must be sent as a quoted-pair.
_NEEDS_ESCAPE = re.compile(r'(["\\])')


def quoted_string(value: str) -> str:
    """``value`` as an RFC 7230 quoted-string.

    ``"`` and ``\\`` are escaped with a backslash; control characters, which
    no quoted-string may carry, become spaces.
    """
    return '"' + _NEEDS_ESCAPE.sub(r"\\\1", _UNQUOTABLE.sub(" ", value)) + '"'


class BearerWWWAuthenticateHeader:
    """Builds a ``Bearer`` challenge from ``name="value"`` parameters.

    The methods are mcpauth's. Difference: values are written as RFC 7230
    quoted-strings with ``"`` and ``\\`` escaped (mcpauth writes them raw, so a
    description such as ``Expected "Bearer <token>".`` broke the challenge's
    syntax), and control characters are replaced by spaces.
    """

    def __init__(self) -> None:
        self._params: dict[str, str] = {}

    def set_parameter_if_value_exists(
        self, param: str, value: str | None
    ) -> BearerWWWAuthenticateHeader:
        """Sets ``param`` when ``value`` is a non-empty string; returns ``self`` to chain."""
        if value:
            self._params[param] = value
        return self

    def to_string(self) -> str:
        """``Bearer k1="v1", k2="v2"`` in insertion order; ``""`` without parameters."""
        if not self._params:
            return ""
        params = ", ".join(f"{key}={quoted_string(value)}" for key, value in self._params.items())
        return f"Bearer {params}"

    @property
    def header_name(self) -> str:
        """The response header this value belongs in."""
        return "WWW-Authenticate"
