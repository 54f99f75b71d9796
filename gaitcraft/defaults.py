"""Defaults shared by the generator pipeline, the dataset writers and the CLI (no heavy imports, so `--help` and
spec parsing can use them)."""

from __future__ import annotations

#: Joint classifier-free guidance scale used when none is given. On the shipped generator 4.0 beat 2.0 on view
#: accuracy, identity retention and novel-identity consistency, at a higher FGD still within 2x of the real
#: floor (BENCHMARKS.md, "Quality of the shipped model").
DEFAULT_GUIDANCE = 4.0

#: How novel identities can be drawn from a generator's identity bank (`conditioning/novel.py: sample_novel`),
#: described once for `gaitcraft synth --help` and the synthetic dataset card.
NOVEL_METHODS = {"dirichlet": "mixtures of 3 training identities in the generator's identity space",
                 "gaussian": "draws from a Gaussian fitted to the generator's identity space"}
#: Gaussian draws sit nearly as far from each other as training identities do (~0.9 x the bank's nearest-neighbour
#: distance, against ~0.5 for 3-way mixtures), so each holds as one person across views and types
#: (BENCHMARKS.md: 78 % cross-view rank-1 among novel identities, against 54 % for mixtures, same model).
DEFAULT_NOVEL_METHOD = "gaussian"


def parse_guidance(text: str) -> float | dict[str, float]:
    """A guidance flag: '4' -> 4.0 (joint classifier-free guidance over all factors); 'identity=8,view=4' ->
    {'identity': 8.0, 'view': 4.0} (per-factor guidance; factors left out get 1, no extra guidance);
    'all=4,identity=8' -> joint guidance 4 over every factor with identity pushed to 8; a 'rescale=0.7' item
    sets the guidance-rescale fraction.
    Raises `ValueError` naming the bad part; factor names are checked against the model later."""
    text = str(text).strip()
    if "=" not in text:
        return _scale(text, text)
    scales: dict[str, float] = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"guidance {text!r}: expected FACTOR=SCALE items, got {item!r}")
        scales[name.strip()] = _scale(value, text)
    return scales


def _scale(value: str, text: str) -> float:
    try:
        return float(value)
    except ValueError:
        where = f"guidance {text!r}" + ("" if value.strip() == text else f": {value.strip()!r}")
        raise ValueError(f"{where} is not a number; give one scale (e.g. 4) or FACTOR=SCALE items "
                         "(e.g. identity=8,view=4)") from None


def format_guidance(guidance: float | dict[str, float]) -> str:
    """'4' for joint guidance, 'identity=8,view=4' for per-factor guidance (the inverse of `parse_guidance`)."""
    if isinstance(guidance, dict):
        return ",".join(f"{k}={float(v):g}" for k, v in guidance.items())
    return f"{float(guidance):g}"
