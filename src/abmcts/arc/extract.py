"""Pull the program out of an LLM reply: the fenced python block that defines `transform`."""

from __future__ import annotations

import re

from abmcts.errors import AbmctsError

# A fence opens with ``` (optionally a language tag) and closes at the next ``` line start, non-greedy.
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)(?:^[ \t]*```|\Z)", re.DOTALL | re.MULTILINE)
_DEFINES_TRANSFORM = re.compile(r"^\s*def\s+transform\s*\(", re.MULTILINE)
_PYTHON_TAGS = {"", "python", "py", "python3"}


class NoCodeError(AbmctsError):
    """The reply holds no usable python block (empty, refused, or truncated before any code)."""


def extract_code(text: str | None) -> str:
    """The last fenced block defining `def transform`, else the last python/py/plain fenced block.

    An unterminated final fence (reply cut by max_tokens) counts as running to the end of the text.
    """
    if not text or not text.strip():
        raise NoCodeError("empty reply")
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(text)]
    candidates = [body for tag, body in blocks if tag in _PYTHON_TAGS and body.strip()]
    for body in reversed(candidates):
        if _DEFINES_TRANSFORM.search(body):
            return body.strip("\n")
    if candidates:
        return candidates[-1].strip("\n")
    if _DEFINES_TRANSFORM.search(text) and "```" not in text:
        return text.strip("\n")
    raise NoCodeError("no fenced python block in reply")
