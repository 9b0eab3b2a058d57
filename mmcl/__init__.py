"""mmcl: multimodal contrastive learning with linear encoders.

The helper package of the book *Multimodal Contrastive Learning, Linearly*.
The public contract (``clip_loss``, ``linear_loss``,
``contrastive_cross_covariance``, ``fit_svd``, ``fit_gd``, ``sin_theta``, ...)
is documented on the book's API reference page. Each chapter's experiment
runners live in :mod:`mmcl.experiments`, its figures and explorer in
:mod:`mmcl.figures`.
"""

from ._checks import MemoryBudgetError, memory_budget, set_memory_budget
from .baselines import (
    masked_view_covariance,
    masked_view_covariance_population,
    pca,
    unimodal_contrastive,
    unimodal_contrastive_population,
)
from .bases import coherence, coherent_orthonormal, random_orthonormal
from .candidates import BilinearScore, DecoyMatch, match_with_decoy
from .cca import CCAFit, fit_cca
from .cleaning import CleanFit, clean_pairs, clean_pairs_batch, filter_pairs
from .data import (
    Noise,
    PairedSample,
    TwoModalityModel,
    UnpairedSample,
    make_model,
    mismatch,
    sample_unpaired,
)
from .datasets import load_multiple_features
from .experiments.loss_to_svd import SelectionGrid, selection_grid
from .losses import (
    CLIPLoss,
    ContrastiveLoss,
    DCLLoss,
    InfoNCELoss,
    LinearLoss,
    LogitLoss,
    SigLIPLoss,
    SpectralLoss,
    VSELoss,
    clip_loss,
    contrastive_cross_covariance,
    dcl_loss,
    finite_difference_gradient,
    finite_difference_hessian,
    infonce_loss,
    linear_cross_covariance,
    linear_loss,
    siglip_loss,
    spectral_loss,
    vse_loss,
    weighted_cross_covariance,
)
from .matching import decoy_threshold, match_pairs, sparse_match
from .metrics import (
    detection_scores,
    orthonormal_basis,
    probe_accuracy,
    retrieval_accuracy,
    sin_theta,
)
from .paper_baseline import PaperFit, cosine_clip_loss, paper_procedure
from .pseudo_pairs import CCAStep
from .solvers import (
    GDFit,
    SVDFit,
    fit_gd,
    fit_svd,
    fit_svd_from_cross_covariance,
    polish,
    spectral_selection,
)
from .spikes import SpikeCount, SpikedWhitener, spike_count, spiked_whitener
from .unpaired import UnpairedFit, fit_with_pairs, fit_with_unpaired
from .yardsticks import loading_sin_theta, unexplained_latent_variance

__version__ = "0.2.0"

__all__ = [
    # Losses
    "LogitLoss",
    "ContrastiveLoss",
    "CLIPLoss",
    "LinearLoss",
    "clip_loss",
    "linear_loss",
    "contrastive_cross_covariance",
    "linear_cross_covariance",
    "finite_difference_gradient",
    "finite_difference_hessian",
    "InfoNCELoss",
    "SigLIPLoss",
    "SpectralLoss",
    "DCLLoss",
    "VSELoss",
    "infonce_loss",
    "siglip_loss",
    "spectral_loss",
    "dcl_loss",
    "vse_loss",
    # Memory
    "set_memory_budget",
    "memory_budget",
    "MemoryBudgetError",
    # Solvers
    "SVDFit",
    "GDFit",
    "fit_svd",
    "fit_svd_from_cross_covariance",
    "fit_cca",
    "CCAFit",
    "weighted_cross_covariance",
    "fit_gd",
    "polish",
    "spectral_selection",
    "SelectionGrid",
    "selection_grid",
    # Metrics
    "sin_theta",
    "orthonormal_basis",
    "retrieval_accuracy",
    "probe_accuracy",
    "detection_scores",
    # Data
    "Noise",
    "PairedSample",
    "TwoModalityModel",
    "make_model",
    "random_orthonormal",
    "coherent_orthonormal",
    "coherence",
    "mismatch",
    "UnpairedSample",
    "sample_unpaired",
    "load_multiple_features",
    # Baselines
    "unimodal_contrastive",
    "unimodal_contrastive_population",
    "pca",
    "masked_view_covariance",
    "masked_view_covariance_population",
    # Unpaired data
    "match_pairs",
    "sparse_match",
    "decoy_threshold",
    "match_with_decoy",
    "DecoyMatch",
    "BilinearScore",
    "spike_count",
    "SpikeCount",
    "spiked_whitener",
    "SpikedWhitener",
    "fit_with_pairs",
    "fit_with_unpaired",
    "UnpairedFit",
    # Cleaning the pairs
    "clean_pairs",
    "clean_pairs_batch",
    "CleanFit",
    "filter_pairs",
    "CCAStep",
    "loading_sin_theta",
    "unexplained_latent_variance",
    # The paper's baseline
    "PaperFit",
    "cosine_clip_loss",
    "paper_procedure",
]
