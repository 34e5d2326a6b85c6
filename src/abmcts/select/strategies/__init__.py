"""The built-in selection strategies: each module `<name>` holds `STRATEGY` (`abmcts.select.strategy`).

Found by name through `abmcts.select.strategy.REGISTRY`; nothing here lists them.
"""
