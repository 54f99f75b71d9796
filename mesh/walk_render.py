"""One walk of a procedural subject as its walker films it: the gait posed on a body, dressed in the subject's
outfit, and rendered by the walker version's camera (side and height). The procedural dataset and the audit's
known-answer cases both render through here, so a subject looks the same in either.

Body and motion are separate inputs: `film_walk(appearance, style, ...)` puts `style`'s gait on the body, the
outfit and the camera of `appearance` (the subject seen), so "A's motion on B's body" is rendered exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesh.body_model import BodyOutput, shared_anny_body
from mesh.camera import CameraSet
from mesh.gait_style import GaitStyle, SessionVariation, compile_style
from mesh.motion import WALK_FPS, Motion
from mesh.subjects import MAX_FILMED_WALK_M, SubjectRecipe, walker_camera


@dataclass
class FilmedWalk:
    """Raw masks of one walk in every view, the cameras that took them, the motion and the posed body."""

    masks: np.ndarray  # [n_views, T, H, W] uint8 0/255
    cameras: CameraSet
    motion: Motion
    body: BodyOutput  # the bare posed body (batch = frames)


def pose_walk(phenotypes: dict[str, float], style: GaitStyle, session: SessionVariation, n_frames: int,
              body_model=None) -> tuple[Motion, BodyOutput]:
    """`style`'s walk over `n_frames` at the walker's frame rate, with `session`'s day-to-day variation, and the
    body of `phenotypes` posed by it: (motion, body). `body_model` defaults to the process's shared anny body."""
    from mesh.motion import animate
    from mesh.retarget import AnnyReference

    body_model = body_model if body_model is not None else shared_anny_body()
    leg = AnnyReference.from_model(body_model.model, phenotypes).leg_length
    motion = animate(style, leg, n_frames, fps=WALK_FPS, session=session)
    return motion, body_model.forward(motion.pose, shape=phenotypes)


def filmed_frames(appearance: SubjectRecipe, style: GaitStyle, session: SessionVariation, n_frames: int,
                  shortest: int = 30) -> int:
    """`n_frames`, or fewer where `appearance`'s walker films at most `MAX_FILMED_WALK_M` metres of a walk and
    `style` at `session`'s speed would walk further (never fewer than `shortest`)."""
    longest_m = MAX_FILMED_WALK_M.get(appearance.walker)
    if longest_m is None:
        return n_frames
    cycle = compile_style(style, session=session)
    speed = cycle.stride / cycle.period  # m/s
    return int(min(n_frames, max(shortest, longest_m / speed * WALK_FPS)))


def film_walk(appearance: SubjectRecipe, style: GaitStyle, session: SessionVariation, n_frames: int,
              clothing: str, carry: str, views: Sequence[float], rng: np.random.Generator, *,
              elevation_deg: float = 0.0, body_model=None) -> FilmedWalk:
    """Pose `style`'s walk on `appearance`'s body, dress it in `clothing` (with `appearance`'s outfit) and
    `carry`, and render it in `views` with the camera of `appearance`'s walker version.

    `rng` varies garment thickness and bag sizes (`mesh.accessories.dress`); `elevation_deg` is the camera's
    tilt where the walker version does not fix the camera height.
    """
    from mesh.accessories import dress
    from mesh.render import render_dressed

    body_model = body_model if body_model is not None else shared_anny_body()
    motion, body = pose_walk(appearance.phenotypes, style, session, n_frames, body_model)
    dressed = dress(body, body_model, clothing, carry, fps=WALK_FPS, rng=rng, outfit=appearance.outfit)
    masks, cams = render_dressed(dressed, list(views), elevation_deg=elevation_deg,
                                 **walker_camera(appearance.walker))  # [V, T, H, W]
    return FilmedWalk(masks, cams, motion, body)
