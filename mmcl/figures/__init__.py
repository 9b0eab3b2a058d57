"""Figures and explorers, one module per chapter, in one style (:mod:`mmcl.figures.style`).

* :mod:`mmcl.figures.loss_to_svd` and :mod:`mmcl.figures.loss_to_svd_threshold` — the chapter
  `loss_to_svd`;
* :mod:`mmcl.figures.loss_zoo` — the chapter `loss_zoo`;
* :mod:`mmcl.figures.robustness` — the chapter `robustness`;
* :mod:`mmcl.figures.unpaired` — the chapter `unpaired`;
* :mod:`mmcl.figures.multiview` — the chapter `multiview`.

Importing this package registers every chapter's explorer in
:data:`mmcl.widgets.EXPLORERS`.
"""

from . import loss_to_svd, loss_to_svd_threshold, loss_zoo, multiview, robustness, style, unpaired

__all__ = [
    "style",
    "loss_to_svd",
    "loss_to_svd_threshold",
    "loss_zoo",
    "robustness",
    "unpaired",
    "multiview",
]
