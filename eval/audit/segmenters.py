"""Extractors beyond background subtraction: any local function, and adapters for installed segmenters.

Nothing here downloads anything. An adapter whose package or model file is missing raises a `ConfigError`
that says what to install or where the file must be; it never fetches weights.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from eval.audit.background import BackgroundSubtraction
from gaitcraft.errors import ConfigError

BUILTIN = ("background", "mediapipe")


@dataclass
class CallableExtractor:
    """Wrap `fn(rgb [t, h, w, 3] uint8) -> [t, h, w]` masks (bool, 0/1 or 0/255) as an extractor."""

    fn: Callable[[np.ndarray], np.ndarray]
    name: str = "callable"

    def masks(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
        """Masks `[t, h, w]` bool from the wrapped function (the background is not used)."""
        out = np.asarray(self.fn(rgb))
        if out.shape != rgb.shape[:3]:
            raise ConfigError(f"extractor {self.name!r} returned masks {out.shape}; expected {rgb.shape[:3]}")
        return out > (127 if out.dtype == np.uint8 and out.max() > 1 else 0)


class MediaPipeSelfie:
    """MediaPipe's selfie segmenter (the legacy `solutions` API, whose model ships inside the wheel)."""

    name = "mediapipe-selfie"

    def __init__(self, threshold: float = 0.5):
        try:
            from mediapipe.python.solutions import selfie_segmentation
        except ImportError:
            raise ConfigError("extractor 'mediapipe' needs the mediapipe package with its legacy solutions API "
                              "(pip install mediapipe); nothing is downloaded") from None
        self._seg = selfie_segmentation.SelfieSegmentation(model_selection=1)
        self.threshold = threshold

    def masks(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
        """Masks `[t, h, w]` bool, one segmentation per frame."""
        return np.stack([self._seg.process(np.ascontiguousarray(f)).segmentation_mask > self.threshold for f in rgb])


def make_extractor(spec: str = "background"):
    """An extractor from its CLI name: 'background' (default), 'mediapipe', or 'module:function' naming a
    local function `fn(rgb [t, h, w, 3]) -> masks [t, h, w]` (imported explicitly, never discovered)."""
    if spec == "background":
        return BackgroundSubtraction()
    if spec == "mediapipe":
        return MediaPipeSelfie()
    if ":" in spec:
        mod_name, _, fn_name = spec.partition(":")
        try:
            fn = getattr(importlib.import_module(mod_name), fn_name)
        except (ImportError, AttributeError) as e:
            raise ConfigError(f"cannot load extractor {spec!r}: {type(e).__name__}: {e}") from None
        if not callable(fn):
            raise ConfigError(f"extractor {spec!r} is not a function")
        return CallableExtractor(fn, spec)
    raise ConfigError(f"unknown extractor {spec!r}; valid: {', '.join(BUILTIN)} or 'module:function'")
