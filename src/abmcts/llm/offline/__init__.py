"""Offline program-writing models: no key, no network; they read only the prompt text."""

from abmcts.llm.offline.models import OfflineModel, available_models, get_model

__all__ = ["OfflineModel", "available_models", "get_model"]
