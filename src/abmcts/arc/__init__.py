"""ARC layer: tasks, loaders and data sources, prompts, code extraction, reward (generated code runs in
`abmcts.sandbox`)."""
