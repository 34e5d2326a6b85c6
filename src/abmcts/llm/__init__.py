"""LLM layer: model specs, response cache, and the client that calls offline or litellm models.

Importing this package imports nothing else: names load on first use (PEP 562), so a module that
needs only `abmcts.llm.spec` (the config schema does) depends on neither the client, the offline
models nor litellm (imported only when a remote model is called).
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "CacheStats": "abmcts.llm.cache",
    "ResponseCache": "abmcts.llm.cache",
    "cache_key": "abmcts.llm.cache",
    "CompletionRequest": "abmcts.llm.client",
    "LLMClient": "abmcts.llm.client",
    "Completion": "abmcts.llm.spec",
    "ModelSpec": "abmcts.llm.spec",
    "RetryPolicy": "abmcts.llm.spec",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'abmcts.llm' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
