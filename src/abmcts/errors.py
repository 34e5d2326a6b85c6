"""Exception types shared by every layer, so callers can tell bad input from failures."""


class AbmctsError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(AbmctsError):
    """Bad user input; the message names the file, field and value."""


class ConfigError(AbmctsError):
    """Bad configuration value; the message names the key and value."""


class LLMError(AbmctsError):
    """A model call could not be made (configuration, not a transient failure)."""


class CacheMissError(LLMError):
    """Replay mode asked for a response the cache does not hold."""
