"""TreeQuest's prior configuration for AB-MCTS-A: ``PriorConfig`` with a ``BetaPrior`` or ``GaussianPrior``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from abmcts.search import posteriors
from abmcts.search.errors import SearchInputError


@dataclass
class BetaPrior:
    """Beta(a, b); the default is Jeffreys' prior."""

    a: float = posteriors.BETA_A
    b: float = posteriors.BETA_B


@dataclass
class GaussianPrior:
    """Normal-Inverse-Gamma prior of a Gaussian score with unknown mean and variance."""

    m: float = posteriors.NIG_M
    kappa: float = posteriors.NIG_KAPPA
    nu: float = posteriors.NIG_NU
    tau_square: float = posteriors.NIG_TAU2


_PRIORS: dict[str, type[BetaPrior] | type[GaussianPrior]] = {"beta": BetaPrior, "gaussian": GaussianPrior}


@dataclass
class PriorConfig:
    """``dist_type`` ("gaussian" or "beta") and its prior (a prior object, a dict of its fields, or None)."""

    dist_type: str = "gaussian"
    prior: BetaPrior | GaussianPrior | dict[str, float] | None = None

    def prior_object(self) -> BetaPrior | GaussianPrior:
        cls = _PRIORS.get(self.dist_type)
        if cls is None:
            raise SearchInputError(
                f"PriorConfig.dist_type={self.dist_type!r} is not one of {sorted(_PRIORS)}"
            )
        if self.prior is None:
            return cls()
        if isinstance(self.prior, dict):
            try:
                return cls(**self.prior)
            except TypeError:
                raise SearchInputError(
                    f"PriorConfig.prior={self.prior!r}: not fields of {cls.__name__}"
                ) from None
        if not isinstance(self.prior, cls):
            raise SearchInputError(
                f"PriorConfig.prior={self.prior!r} does not fit dist_type={self.dist_type!r}"
            )
        return self.prior

    def get_params(self) -> dict[str, float]:
        return dataclasses.asdict(self.prior_object())

    def with_reward_average(self, reward_average: float | None) -> tuple[float, ...]:
        """Prior parameters (``posteriors.default_prior`` order), centred on ``reward_average`` if given
        (as TreeQuest does: Gaussian ``m = r``; Beta ``a = r, b = 1 - r``)."""
        p = self.prior_object()
        if isinstance(p, BetaPrior):
            return (p.a, p.b) if reward_average is None else (reward_average, 1.0 - reward_average)
        m = p.m if reward_average is None else reward_average
        return (m, p.kappa, p.nu, p.tau_square)
