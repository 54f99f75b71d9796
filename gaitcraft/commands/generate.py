"""`gaitcraft generate`: sample silhouette sequences from a trained generator (implementation in
`synth_datasets/generated/on_demand.py`)."""

from __future__ import annotations

from gaitcraft.defaults import DEFAULT_GUIDANCE, parse_guidance
from gaitcraft.factors import factor, factors
from gaitcraft.vocab import CASIA_B_ALIASES, CASIA_B_CONDITIONS
from synth_datasets.grid import parse_views


def view_arg(text: str) -> list[float]:
    """One `--view` word as degrees: a number ('90', CASIA-B's '018'), a range 'start:stop:step' or 'casia-b'
    (CASIA-B's 11 views); the range is checked where every view is."""
    if text.strip().lower() == "casia-b" or ":" in text:
        return parse_views(text)
    return [float(text)]


def add_parser(sub, name: str, summary: str):
    """Register `generate`."""
    p = sub.add_parser(name, help=summary, description=(
        "Sample sequences of one training identity (--identity) or of N novel identities (--novel) at the given "
        "views, clothing and carried object. Writes an OpenGait tree (<id>/<type>/<view>/<view>.pkl, uint8 "
        "[t, 64, 64]) with manifest.jsonl (labels + provenance), partition.json, previews/<id>-<type>-<view>.gif "
        "per sequence and previews/contact_sheet.png (of every sequence in --out, up to 48). The same arguments "
        "give identical files. Subject ids are prefixed so they never clash with real ones: gen<ID> for "
        "--identity ID (e.g. gen001), novel<N>s<SEED> for --novel (the prefix is in each manifest row's "
        "provenance.subject_prefix). Rerunning into the same --out adds sequences and keeps those already there; "
        "one made there with other settings (another --carry, --seed, ...) is an error unless --overwrite."))
    p.add_argument("--model", help="model folder (save_pretrained layout; default: the shipped "
                                   "assets/models/generator)")
    p.add_argument("--out", required=True, help="output folder (new, empty, or an earlier generate output)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace sequences --out already holds that were made with other settings (default: refuse)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--identity", help="a training identity of the model (written as subject gen<ID>)")
    who.add_argument("--novel", type=int, metavar="N", help="N novel identities (sampled away from training ones)")
    view = factor("view")
    p.add_argument("--view", type=view_arg, nargs="+", default=[[view.default]], metavar="DEG",
                   help=f"{view.help}, a range start:stop:step, or casia-b (CASIA-B's 11 views, 0:180:18) "
                        f"(default {view.default:g})")
    p.add_argument("--condition", choices=tuple(CASIA_B_CONDITIONS), metavar="NAME",
                   help="CASIA-B's name of the clothing and carry together: " + ", ".join(
                       f"{n} = {words}" for n, (words, _) in CASIA_B_CONDITIONS.items())
                   + " (the model's bag: 'bag' for a model trained on CASIA-B, else its first exact bag); "
                     "--clothing / --carry may refine it (e.g. --condition bg --carry backpack) but not contradict "
                     "it (default: the --clothing and --carry values)")
    for f in factors("categorical"):  # --clothing, --carry
        aliases = ", ".join(f"{a} = {v}" for a, v in CASIA_B_ALIASES.get(f.name, {}).items())
        p.add_argument(f"--{f.name}", help=f"{f.help}" + (f", or its CASIA-B name ({aliases})" if aliases else "")
                       + f" (default {f.default})")
    p.add_argument("--frames", type=int, help="frames per sequence (default: the model's training length)")
    p.add_argument("--steps", type=int, default=15, help="sampler steps (default 15)")
    p.add_argument("--guidance", type=parse_guidance, default=DEFAULT_GUIDANCE,
                   help=f"classifier-free guidance: one scale over all factors (default {DEFAULT_GUIDANCE:g}) or "
                        "per factor, e.g. identity=8,view=4,carry=6 (factors left out get 1), or a joint base with factors "
                        "set apart, e.g. all=4,identity=8 (three model evaluations per step); add rescale=0.7 to temper "
                        "large scales (diffusers guidance rescale)")
    p.add_argument("--seed", type=int, default=0, help="seed; each sequence's noise comes from (seed, id, type, view)")
    p.add_argument("--batch", type=int, default=4, help="sequences per forward pass (default 4)")
    return p


def run(args) -> int:
    """Generate and print where the files are."""
    from synth_datasets.generated.on_demand import generate

    conditions = {f.name: getattr(args, f.name) for f in factors("categorical")}
    views = [v for group in args.view for v in group]
    out = generate(args.model, args.out, args.identity, args.novel, views, args.frames, args.steps, args.seed,
                   args.batch, args.guidance, overwrite=args.overwrite, condition=args.condition, **conditions)
    print(f"generated {out['generated']} sequences in {out['seconds']:.1f} s -> {out['root']} "
          f"(contact sheet {out['previews']['sheet'][0] if out['previews']['sheet'] else '-'})")
    return 0
