"""Registers the pipeline's config schema with Hydra's ConfigStore in every Hydra process.

Hydra imports the modules under the `hydra_plugins` namespace when it starts, so the schema
(`abmcts_schema`, the first entry of `conf/config.yaml`'s defaults) is there for our entry points,
for `hydra.compose` in tests and notebooks, and for DVC's own composition of `conf/`
(`dvc exp run -S ...`), none of which needs to import abmcts first.
"""

from abmcts.experiment.config import register_schema

register_schema()
