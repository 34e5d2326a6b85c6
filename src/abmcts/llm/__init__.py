"""LLM layer: model specs, response cache, and the client that calls offline or litellm models.

Importing this package never imports litellm; it is loaded only when a remote model is configured.
"""

from abmcts.llm.cache import CacheStats, ResponseCache, cache_key
from abmcts.llm.client import CompletionRequest, LLMClient
from abmcts.llm.spec import Completion, ModelSpec, RetryPolicy

__all__ = [
    "CacheStats",
    "Completion",
    "CompletionRequest",
    "LLMClient",
    "ModelSpec",
    "ResponseCache",
    "RetryPolicy",
    "cache_key",
]
