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


#: The line a card carries when its generator was trained on real data.
REAL_DATA_WARNING = ("**Warning:** the generator of this dataset was trained on real, third-party silhouettes "
                     "(research-only data such as CASIA-B). This dataset is derived from them and inherits their "
                     "licence and terms of use: check those before any use beyond research.")


def _ids_text(ids: list[str], shown: int = 8) -> str:
    """'001, 002, ... 074' style listing of identity names."""
    return ", ".join(ids) if len(ids) <= shown else f"{', '.join(ids[:shown - 1])}, ... {ids[-1]}"


def _training_data_section(data: dict[str, Any] | None) -> str:
    """Markdown of what data trained the generator (`gaitcraft.training_data`), or that it is not recorded."""
    if not data:
        return ("Not recorded with the model (a model trained before GaitCraft recorded its data, or outside "
                "`gaitcraft train`): the data it derives from is unknown to this card.")
    kind = {"real": "real, third-party data (not made by GaitCraft): research-only unless its licence says "
                    "otherwise",
            "procedural": "GaitCraft's procedural walker (synthetic bodies and CMU motion capture)",
            "synthetic": "synthetic data made by GaitCraft"}[data["kind"]]
    split = f"the OpenGait partition JSON `{data['split_file']}`" if data.get("split_file") else data["split"]
    lines = [f"- tree: `{data['tree']}`: {kind}",
             f"- split: {split}; trained on the {len(data['train_ids'])} training identities "
             f"({_ids_text(data['train_ids'])}), {len(data['held_out_ids'])} held out"
             + (f" ({_ids_text(data['held_out_ids'])})" if data["held_out_ids"] else ""),
             f"- training sequences: {data.get('sequences', '?')}"]
    if data["kind"] == "real":
        lines.append(f"- {REAL_DATA_WARNING}")
    return "\n".join(lines)


def _privacy_section(privacy: dict[str, Any] | None, data: dict[str, Any] | None = None) -> str:
    """Markdown of the privacy audit results (or how to run it)."""
    if not privacy:
        why = ("the generator was trained on real people: audit this dataset before sharing it. "
               if data and data["kind"] == "real" else "")
        return ("Not run (no recognizer or no real reference data was given); " + why + "Run "
                "`gaitcraft synth ... --reference RUN_OR_TREE --recognizer RUN`, or "
                "`gaitcraft privacy-audit --synthetic DIR --reference RUN_OR_TREE [--recognizer RUN] --out REPORT`.")
    reid = sum(1 for p in privacy.get("per_identity", []) if p.get("reidentified"))
    lines = [f"- recognizer: `{privacy.get('recognizer', '?')}`; reference: `{privacy.get('reference', '?')}`"]
    gallery = privacy.get("gallery")
    if gallery:
        lines.append(f"- gallery: the {gallery['identities']} training identities of `{gallery['tree']}` "
                     f"({gallery['split']}); threshold set on {gallery['held_out']} held-out identities")
    if "frames_limit" in privacy:
        lines.append(f"- frames the recognizer read per sequence: {privacy['frames_limit']}")
    lines += [f"- FAR={privacy['far'] * 100:g}% threshold (identity-template distance): {privacy['threshold']:.4f}",
              f"- re-identification rate: {privacy['rate']:.2f}% of {privacy['identities']} novel identities "
              f"({reid} re-identified: their nearest training identity is closer than the threshold)"]
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
                     curation: dict[str, Any] | None = None, training_data: dict[str, Any] | None = None) -> Path:
    """Write `root/README.md` for a generated dataset (`record` = stored spec + model hash; `training_data` = the
    generator's training-data record, `gaitcraft.training_data`, or None when its model has none)."""
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
    sections = {"Generator": gen, "Training data of the generator": _training_data_section(training_data),
                "Seeds": seeds, "Privacy audit": _privacy_section(privacy, training_data),
                "Curation": _curation_section(curation), "Previews": prev}
    summary = (f"Synthetic gait silhouettes of novel identities ({NOVEL_METHODS[spec['method']]}, kept away from every training subject), "
               "drawn from a trained GaitCraft diffusion model. Every identity is "
               "in TRAIN_SET of `partition.json`. Sequence types use CASIA-B naming: nm = normal, "
               f"bg = carrying ({_bags_text(spec['bag'])}), cl = in a coat.")
    if training_data and training_data["kind"] == "real":
        summary += "\n\n" + REAL_DATA_WARNING
    return write_card(root, "GaitCraft synthetic gait dataset", summary, labels, sections, spec=record)
