"""Losses of the similarity matrix ``K = X G1^T G2 Y^T`` (chapter `loss_to_svd`).

:class:`LogitLoss` is the base class of every loss and the place to start
when adding one (see :mod:`mmcl.losses.base`); :mod:`mmcl.losses.family`
holds the (phi, psi) family of the paper and the linear loss,
:mod:`mmcl.losses.clip` CLIP with its one-exponential gradient, and
:mod:`mmcl.losses.zoo` the losses practitioners use (InfoNCE, SigLIP, DCL,
VSE++; chapter `loss_zoo`) and :mod:`mmcl.losses.spectral` the spectral contrastive
loss, whose minimiser is CCA.
"""

from .base import LogitLoss, contrastive_cross_covariance
from .clip import CLIPLoss, clip_loss
from .family import (
    ContrastiveLoss,
    LinearLoss,
    linear_cross_covariance,
    linear_loss,
    weighted_cross_covariance,
)
from .finite_differences import finite_difference_gradient, finite_difference_hessian
from .spectral import SpectralLoss, spectral_loss
from .zoo import (
    DCLLoss,
    InfoNCELoss,
    SigLIPLoss,
    VSELoss,
    dcl_loss,
    infonce_loss,
    siglip_loss,
    vse_loss,
)

__all__ = [
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
    "weighted_cross_covariance",
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
]
