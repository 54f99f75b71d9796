"""What a reconstructor needs besides its weights: the body model, its keypoints and the loss layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitcraft.errors import GaitCraftError
from mesh.reconstruction.body_layer import AnnyLayer
from mesh.reconstruction.config import ModelSection
from mesh.reconstruction.heatmap_net import HeatmapReconstructor
from mesh.reconstruction.markers import ANNY_JOINTS, ANNY_POSED_BONES, anny_loss_vertices, anny_marker_ids


@dataclass
class BodySetup:
    """anny plus the reconstructor's keypoint definition."""

    body: object  # mesh.body_model.AnnyBody
    markers: np.ndarray  # [M] vertex ids of the virtual markers
    loss_vertices: np.ndarray  # [Vm] vertex ids the mesh loss compares (besides the markers)
    joint_bones: np.ndarray  # [J] anny bone index of each predicted joint
    layer: AnnyLayer

    @property
    def vertex_ids(self) -> np.ndarray:
        """The layer's vertices: markers first, then the loss vertices. [M + Vm]"""
        return np.concatenate([self.markers, self.loss_vertices])

    def meta(self) -> dict:
        """The keypoint definition stored with a trained model."""
        return {"body_model": "anny", "joints": list(ANNY_JOINTS), "markers": self.markers.tolist(),
                "loss_vertices": self.loss_vertices.tolist(), "posed_bones": [list(g) for g in ANNY_POSED_BONES]}


def load_anny_body():
    """The anny body model, or a one-line `GaitCraftError` saying why the backend is unavailable."""
    try:
        from mesh.body_model import AnnyBody

        return AnnyBody()
    except GaitCraftError:
        raise
    except (ImportError, OSError, RuntimeError) as e:
        raise GaitCraftError(f"the anny body-model backend is unavailable: {type(e).__name__}: {e}") from None


def make_body_setup(cfg: ModelSection, meta: dict | None = None, with_layer: bool = True) -> BodySetup:
    """Body setup for a new model (`cfg`) or a trained one (its `meta` fixes markers and loss vertices)."""
    body = load_anny_body()
    if meta is not None:
        if meta.get("joints") != list(ANNY_JOINTS):
            raise GaitCraftError("the model was trained with another joint set than this GaitCraft's")
        markers, loss_v = np.asarray(meta["markers"]), np.asarray(meta["loss_vertices"])
    else:
        markers = anny_marker_ids(cfg.n_markers)
        loss_v = anny_loss_vertices(body, cfg.mesh_vertices, exclude=markers)
    joints = np.array([body.joint_names.index(n) for n in ANNY_JOINTS])
    ids = np.concatenate([markers, loss_v])
    layer = AnnyLayer(body, ids) if with_layer else None
    return BodySetup(body, markers, loss_v, joints, layer)


def build_model(cfg: ModelSection) -> HeatmapReconstructor:
    """A fresh reconstructor network for the anny keypoints."""
    return HeatmapReconstructor(cfg, len(ANNY_JOINTS), len(ANNY_POSED_BONES))
