"""`offline/<name>`: the in-process program writers of `abmcts.llm.offline` (no key, no network, free).

The default kind of a spec whose model string starts with `offline/`; `<name>` is a name of
`abmcts.llm.offline.models.BIASES`, or what the context's `offline_loader` knows (the judge's
`offline/judge`).
"""

from __future__ import annotations

from abmcts.llm.backends import BackendContext, BackendKind, InProcessKind, OfflineModel
from abmcts.llm.spec import OFFLINE_PREFIX, ModelSpec


class OfflineKind(InProcessKind):
    def model(self, spec: ModelSpec, context: BackendContext) -> OfflineModel:
        name = spec.model.removeprefix(OFFLINE_PREFIX)
        if context.offline_loader is not None:
            return context.offline_loader(name)
        from abmcts.llm.offline import (
            get_model,
        )  # imported on use: the models need numpy and the prompt parser

        return get_model(name)


BACKEND: BackendKind = OfflineKind()
