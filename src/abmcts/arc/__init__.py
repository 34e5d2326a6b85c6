"""ARC layer: tasks, loaders, prompts, code extraction, reward (generated code runs in `abmcts.sandbox`)."""
