"""Baseline: every answer generated at the root."""

from abmcts.search.repeated_sampling import RepeatedSampling

ALGORITHM = RepeatedSampling
