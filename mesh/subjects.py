"""Synthetic subjects of the procedural walker: body shape, gait style and their own bags, all from a seed.

Five walker versions exist. 'v1' is the first walker (kept so that its datasets can be rebuilt byte for byte).
'v2', the default, is calibrated on real CASIA-B silhouettes: adult bodies across real builds, a narrower
stance with relaxed wrists, each subject's own outfit (trousers, coat cut, hair), and CASIA-B's camera side and
height. 'v3' is 'v2' (the same subjects, outfits and walks) filmed by CASIA-B's static cameras: the view label
holds mid-walk and the angle drifts along it. 'v4' is 'v3' walking at CASIA-B's pace: the same people and blends,
faster, with longer strides and a wider arm swing (`mesh.gait_style.CASIAB_PACE`). 'v5' is 'v3' with heads and
tops as varied as real people's: the same bodies, walks and cameras, with hair from cropped to bulky, long hair on
some, and tops from fitted to loose (`mesh.accessories.sample_head_and_top`). 'v6' is 'v5' in slimmer trousers
(`mesh.accessories.sample_slim_trousers`): the same people, hair, tops, walks and cameras.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np

from gaitcraft.errors import ConfigError
from gaitcraft.vocab import BAGS, cycled_bag
from mesh.accessories import Outfit, sample_head_and_top, sample_outfit, sample_slim_trousers
from mesh.body_model import sample_adult_phenotypes
from mesh.camera import CASIA_B_SIDE
from mesh.gait_style import CASIAB_PACE, GaitStyle, sample_posture, sample_style, with_pace

#: Walker versions, oldest first: 'v1' is the first walker (kept so its datasets can be rebuilt byte for byte),
#: 'v2' is calibrated on real CASIA-B silhouettes, 'v3' is 'v2' filmed by static cameras, 'v4' is 'v3' at
#: CASIA-B's pace, 'v5' is 'v3' with real people's spread of heads and tops, 'v6' is 'v5' in slimmer trousers.
WALKERS = ("v1", "v2", "v3", "v4", "v5", "v6")
DEFAULT_WALKER = "v2"


def check_walker(walker: str) -> str:
    """`walker` if it is a known walker version, else a ConfigError listing them."""
    if walker not in WALKERS:
        raise ConfigError(f"unknown walker {walker!r}; valid: {', '.join(WALKERS)}")
    return walker


PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")
#: The longest stretch (m) of a walk that a walker's still cameras film, where it is bounded. At CASIA-B's pace
#: ('v4') a 90-frame walk covers up to 11 m and would pass the frontal camera 4.5 m from its middle; CASIA-B's
#: own cameras see a walker over a stretch of a few metres (its side views hold about 60 frames).
MAX_FILMED_WALK_M = {"v4": 6.0}
#: Walkers filmed by CASIA-B's static cameras (the others' cameras follow the walker).
STATIC_CAMERA_WALKERS = ("v3", "v4", "v5", "v6")
#: Camera height (m above the ground) of the 'v2' walker: CASIA-B's cameras film from about chest height.
V2_CAMERA_HEIGHT = 1.2


@dataclass
class SubjectRecipe:
    """Everything that makes one synthetic subject: reproducible from (seed, index, walker) alone."""

    subject: str
    phenotypes: dict[str, float]
    style: GaitStyle
    bags: list[str]  # the bag carried in bg-01, bg-02, ... (cycled)
    walker: str = "v1"
    outfit: Outfit | None = None  # None: the first walker's clothes

    def to_json(self) -> dict:
        """JSON-ready dict (stored in the ground-truth sidecar and the manifest provenance). A 'v1' recipe has
        exactly the keys it had before walker versions existed."""
        out = {"subject": self.subject, "phenotypes": self.phenotypes, "style": self.style.to_dict(),
               "bags": self.bags}
        if self.walker != "v1":
            out["walker"] = self.walker
            out["outfit"] = None if self.outfit is None else self.outfit.to_dict()
        return out

    def bag_for(self, seq_type: str) -> str:
        """The exact object of a `bg-NN` sequence."""
        return cycled_bag(self.bags, seq_type)


def walker_camera(walker: str) -> dict:
    """Keyword arguments for `mesh.render.render_dressed` that place the camera as `walker` does."""
    if check_walker(walker) == "v1":
        return {"side": "right", "camera_height": None}
    return {"side": CASIA_B_SIDE, "camera_height": V2_CAMERA_HEIGHT, "static": walker in STATIC_CAMERA_WALKERS}


def subject_rng(seed: int, index: int, *salt: int) -> np.random.Generator:
    """An RNG that depends only on (seed, subject index, salt): subjects do not change when N grows."""
    return np.random.default_rng([seed, index, *salt])


def sample_subject(seed: int, index: int, walker: str = DEFAULT_WALKER) -> SubjectRecipe:
    """Draw subject `index` (0-based) of the dataset with `seed`: an adult anny body and a gait style."""
    rng = subject_rng(seed, index)
    if check_walker(walker) == "v1":
        phen = {
            "gender": float(rng.uniform(0.0, 1.0)),
            "age": float(rng.uniform(0.62, 0.95)),  # 2/3 = young adult; 1 = old
            "muscle": float(rng.uniform(0.25, 0.75)),
            "weight": float(np.clip(rng.normal(0.5, 0.15), 0.15, 0.9)),
            "height": float(np.clip(rng.normal(0.42, 0.1), 0.2, 0.7)),
            "proportions": float(rng.uniform(0.3, 0.7)),
        }
    else:
        phen = sample_adult_phenotypes(rng)
    style = sample_style(rng)
    bags = [str(b) for b in rng.permutation(BAGS)]
    if walker == "v1":
        return SubjectRecipe(f"{index + 1:03d}", phen, style, bags)
    style = replace(style, **sample_posture(rng, style))
    if walker == "v4":  # after every draw, so a v4 subject is its v3 self walking faster
        style = with_pace(style, CASIAB_PACE)
    outfit = sample_outfit(rng)
    if walker in ("v5", "v6"):  # after every draw, so a v5 subject is its v3 self with its own hair and top
        outfit = replace(outfit, **sample_head_and_top(rng))
    if walker == "v6":  # after that, so a v6 subject is its v5 self in slimmer trousers
        outfit = replace(outfit, **sample_slim_trousers(rng))
    return SubjectRecipe(f"{index + 1:03d}", phen, style, bags, walker, outfit)


def recipe_hash(recipe: SubjectRecipe) -> str:
    """A short stable hash of a recipe (for provenance)."""
    import hashlib

    return hashlib.sha1(json.dumps(recipe.to_json(), sort_keys=True).encode()).hexdigest()[:12]
