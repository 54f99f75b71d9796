"""The dataset card of a generated synthetic dataset: generator, seeds, privacy audit, curation, credits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gaitcraft.defaults import NOVEL_METHODS, format_guidance
from gaitcraft.types import SequenceLabels
from synth_datasets.card import write_card
from synth_datasets.generated.spec import split_bags


def _bags_text(bag: str) -> str:
    """How the card names the bg carry: one bag, or the bags cycled over identities."""
    bags = split_bags(bag)
    return bags[0] if len(bags) == 1 else f"{', '.join(bags)}, cycled over identities"


def _privacy_section(privacy: dict[str, Any] | None) -> str:
    """Markdown of the privacy audit results (or how to run it)."""
    if not privacy:
        return ("Not run (no recognizer or no real reference data was given). Run "
                "`gaitcraft privacy-audit --synthetic DIR --reference REAL [--recognizer RUN] --out REPORT`.")
    lines = [f"- recognizer: `{privacy.get('recognizer', '?')}`; reference: `{privacy.get('reference', '?')}`",
             f"- FAR={privacy['far'] * 100:g}% threshold (identity-template distance): {privacy['threshold']:.4f}",
             f"- re-identification rate: {privacy['rate']:.2f}% of {privacy['identities']} novel identities "
             "(their nearest training identity is closer than the threshold)"]
    if "null_rate" in privacy:
        lines.append(f"- the same rate for held-out real identities (what new people score): {privacy['null_rate']:.2f}%")
    lines.append("- histogram of the distances: `previews/privacy_histogram.png`")
    dropped = privacy.get("dropped", [])
    lines.append(f"- identities dropped as too close to a training identity: {len(dropped)}"
                 + (f" ({', '.join(dropped)})" if dropped else ""))
    return "\n".join(lines)


def _curation_section(curation: dict[str, Any] | None) -> str:
    """Markdown of the curation statistics (or a note that it was not run)."""
    if not curation:
        return "Not run (curation needs a recognizer)."
    lines = [f"- sequences scored: {curation['sequences']}; pruned: {len(curation['pruned'])} "
             f"(fraction asked: {curation['fraction']:g}, by redundancy + recognizer uncertainty)"]
    for name, s in curation.get("signals", {}).items():
        lines.append(f"- {name}: mean {s['mean']:.4g}, min {s['min']:.4g}, max {s['max']:.4g}")
    for item in curation["pruned"][:20]:
        lines.append(f"  - pruned `{item['key']}`: {item['reason']}")
    if len(curation["pruned"]) > 20:
        lines.append(f"  - ... {len(curation['pruned']) - 20} more in `.synth/curation.json`")
    return "\n".join(lines)


def write_generated_card(root: str | Path, labels: list[SequenceLabels], record: dict[str, Any],
                     previews: dict[str, list[str]], privacy: dict[str, Any] | None = None,
                     curation: dict[str, Any] | None = None) -> Path:
    """Write `root/README.md` for a generated dataset (`record` = stored spec + model hash)."""
    spec = record["spec"]
    gen = (f"- generator: GaitCraft latent video diffusion (`GaitCraftPipeline`), model sha256 "
           f"`{record['model_sha256']}` (over its safetensors files)\n"
           f"- sampler: {spec['steps']} steps, classifier-free guidance {format_guidance(spec['guidance'])}; "
           f"{spec['frames']} frames per sequence\n"
           f"- novel identities: {spec['identities']} by '{spec['method']}' sampling in the identity bank, "
           f"margin {spec['margin']:g} and separation {spec['separation']:g} (x median training nearest-neighbour "
           "distance); each sequence's identity recipe is in its manifest provenance")
    seeds = (f"- master seed {spec['seed']}; every sequence has its own generator seeded from "
             "sha256([seed, id, type, view]) (`provenance.sequence_seed`), so a sequence does not depend on "
             "batching, sharding or resume")
    prev = "\n".join(f"- `{p}`" for p in previews.get("sheet", []) + previews.get("gifs", [])) or "- none"
    sections = {"Generator": gen, "Seeds": seeds, "Privacy audit": _privacy_section(privacy),
                "Curation": _curation_section(curation), "Previews": prev}
    summary = (f"Synthetic gait silhouettes of novel identities ({NOVEL_METHODS[spec['method']]}, kept away from every training subject), "
               "drawn from a trained GaitCraft diffusion model. Every identity is "
               "in TRAIN_SET of `partition.json`. Sequence types use CASIA-B naming: nm = normal, "
               f"bg = carrying ({_bags_text(spec['bag'])}), cl = long coat.")
    return write_card(root, "GaitCraft synthetic gait dataset", summary, labels, sections, spec=record)
