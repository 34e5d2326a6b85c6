"""Find an implementation by name: one rule for every kind of extension.

A name `foo` of a kind is the module `<package>.foo`, which holds the implementation in one attribute
(`STRATEGY`, `SOURCE`, ...). Adding a search algorithm, selection strategy, model backend, data source
or stage is therefore a module plus its config file, with no list to edit and no `if name ==` chain
anywhere. A dotted name (`mypackage.toy`) is imported as written, so a user's own package can add one
without touching this repository. Modules are imported on first use, so naming a kind costs nothing
until it is needed.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Generic, TypeVar

from abmcts.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Registry(Generic[T]):
    """Names of one kind (`kind`, for messages) resolved to `<package>.<name>.<attribute>`."""

    kind: str
    package: str
    attribute: str

    def names(self) -> list[str]:
        """The built-in names: the package's public modules, sorted."""
        package = importlib.import_module(self.package)
        return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))

    def module_name(self, name: str) -> str:
        return name if "." in name else f"{self.package}.{name}"

    def get(self, name: str, field: str) -> T:
        """The implementation `name` stands for; ConfigError naming `field` and the value if there is none
        (an import error inside an existing module is a bug in it, and is raised as such)."""
        module_name = self.module_name(name)
        if not name or name.startswith("_") or not all(p.isidentifier() for p in name.split(".")):
            raise ConfigError(self._unknown(name, field))
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                raise ConfigError(self._unknown(name, field)) from None
            raise
        try:
            return getattr(module, self.attribute)
        except AttributeError:
            raise ConfigError(
                f"config {field}={name}: module {module_name} defines no {self.attribute}, so it is not a {self.kind}"
            ) from None

    def _unknown(self, name: str, field: str) -> str:
        known = self.names()
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        near = f" (did you mean {close[0]!r}?)" if close else ""
        return f"config {field}={name}: no such {self.kind}{near} (known: {', '.join(known)})"
