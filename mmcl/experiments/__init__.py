"""Experiment runners, one module per chapter (sweeps that return dataclasses, no plotting).

* :mod:`mmcl.experiments.loss_to_svd` — the chapter `loss_to_svd`;
* :mod:`mmcl.experiments.robustness` and :mod:`mmcl.experiments.sampling` —
  the chapter `robustness`;
* :mod:`mmcl.experiments.unpaired` and :mod:`mmcl.experiments.paper` — the
  chapter `unpaired`.
"""

from . import loss_to_svd, paper, robustness, sampling, unpaired
from .loss_to_svd import SelectionGrid, selection_grid
from .robustness import (NOISE_TYPES, ClipVsLinear, DigitsSweep, RobustnessSweep, clip_vs_linear,
                         crossover_eps, digits_sweep, first_order_constant, robustness_model,
                         robustness_sweep)
from .sampling import Batch, sample_batch

__all__ = [
    "loss_to_svd", "robustness", "sampling", "unpaired", "paper",
    "SelectionGrid", "selection_grid",
    "NOISE_TYPES", "robustness_model", "RobustnessSweep", "robustness_sweep", "crossover_eps",
    "first_order_constant", "ClipVsLinear", "clip_vs_linear", "DigitsSweep", "digits_sweep",
    "Batch", "sample_batch",
]
