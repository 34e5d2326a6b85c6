"""Baseline: each answer refines the previous one."""

from abmcts.search.sequential_refinement import SequentialRefinement

ALGORITHM = SequentialRefinement
