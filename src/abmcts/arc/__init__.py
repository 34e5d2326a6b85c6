"""ARC layer: tasks, prompts, code extraction, sandboxed execution, reward."""
