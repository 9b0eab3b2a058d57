"""Experiment runners, one module per chapter (sweeps that return dataclasses, no plotting).

* :mod:`mmcl.experiments.loss_to_svd` and :mod:`mmcl.experiments.loss_to_svd_threshold` — the
  chapter `loss_to_svd`;
* :mod:`mmcl.experiments.loss_zoo` and :mod:`mmcl.experiments.loss_zoo_fits` — the chapter
  `loss_zoo`;
* :mod:`mmcl.experiments.robustness`, :mod:`mmcl.experiments.robustness_fits` and
  :mod:`mmcl.experiments.sampling` — the chapter `robustness`;
* :mod:`mmcl.experiments.unpaired`, :mod:`mmcl.experiments.regime_map` and
  :mod:`mmcl.experiments.paper` — the chapter `unpaired`;
* :mod:`mmcl.experiments.multiview` and :mod:`mmcl.experiments.multiview_cleaning` — the chapter
  `multiview`.
"""

from . import (
    loss_to_svd,
    loss_to_svd_threshold,
    loss_zoo,
    loss_zoo_fits,
    multiview,
    multiview_cleaning,
    paper,
    regime_map,
    robustness,
    robustness_fits,
    sampling,
    unpaired,
)
from .loss_to_svd import SelectionGrid, selection_grid
from .robustness import (
    NOISE_TYPES,
    RobustnessSweep,
    crossover_eps,
    first_order_constant,
    robustness_model,
    robustness_sweep,
)
from .robustness_fits import ClipVsLinear, clip_vs_linear
from .sampling import Batch, sample_batch

__all__ = [
    "loss_to_svd",
    "loss_to_svd_threshold",
    "loss_zoo",
    "loss_zoo_fits",
    "robustness",
    "robustness_fits",
    "sampling",
    "unpaired",
    "regime_map",
    "paper",
    "multiview",
    "multiview_cleaning",
    "SelectionGrid",
    "selection_grid",
    "NOISE_TYPES",
    "robustness_model",
    "RobustnessSweep",
    "robustness_sweep",
    "crossover_eps",
    "first_order_constant",
    "ClipVsLinear",
    "clip_vs_linear",
    "Batch",
    "sample_batch",
]
