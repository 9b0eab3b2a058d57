"""mmcl: multimodal contrastive learning with linear encoders.

The helper package of the book *Multimodal Contrastive Learning, Linearly*.
The public contract (``clip_loss``, ``linear_loss``,
``contrastive_cross_covariance``, ``fit_svd``, ``fit_gd``, ``sin_theta``, ...)
is documented on the book's API reference page.
"""

from .baselines import (masked_view_covariance, masked_view_covariance_population, pca,
                        unimodal_contrastive, unimodal_contrastive_population)
from .data import (Noise, PairedSample, TwoModalityModel, coherence, coherent_orthonormal,
                   load_digit_halves, make_model, mismatch, random_orthonormal)
from .experiments import SelectionGrid, selection_grid
from .losses import (CLIPLoss, ContrastiveLoss, LinearLoss, clip_loss, contrastive_cross_covariance,
                     finite_difference_gradient, linear_cross_covariance, linear_loss)
from .metrics import detection_scores, orthonormal_basis, probe_accuracy, retrieval_accuracy, sin_theta
from .paper import PaperFit, cosine_clip_loss, paper_procedure
from .solvers import GDFit, SVDFit, fit_gd, fit_svd, polish, spectral_selection
from .unpaired import (UnpairedFit, UnpairedSample, decoy_threshold, fit_with_pairs, fit_with_unpaired,
                       match_pairs, sample_unpaired)

__version__ = "0.1.0"

__all__ = [
    "CLIPLoss", "ContrastiveLoss", "LinearLoss", "clip_loss", "linear_loss",
    "contrastive_cross_covariance", "linear_cross_covariance", "finite_difference_gradient",
    "SVDFit", "GDFit", "fit_svd", "fit_gd", "polish", "spectral_selection",
    "sin_theta", "orthonormal_basis",
    "Noise", "PairedSample", "TwoModalityModel", "make_model", "random_orthonormal",
    "coherent_orthonormal", "coherence",
    "retrieval_accuracy", "probe_accuracy", "mismatch", "load_digit_halves",
    "unimodal_contrastive", "unimodal_contrastive_population", "pca",
    "masked_view_covariance", "masked_view_covariance_population",
    "SelectionGrid", "selection_grid",
    # Incorporating unpaired data
    "UnpairedSample", "UnpairedFit", "sample_unpaired", "match_pairs", "decoy_threshold",
    "fit_with_pairs", "fit_with_unpaired", "detection_scores",
    "PaperFit", "cosine_clip_loss", "paper_procedure",
]
