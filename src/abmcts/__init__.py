"""abmcts: AB-MCTS inference-time tree search for ARC-AGI, with an experiment pipeline."""

__version__ = "0.1.0"
