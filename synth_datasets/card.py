"""Dataset cards: the `README.md` written at the root of every dataset GaitCraft builds."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path

from gaitcraft.factors import factors
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.types import SequenceLabels
from mesh.credits import ANNY_CREDIT, CMU_CREDIT


def counts_table(labels: list[SequenceLabels]) -> str:
    """A markdown table of sequence counts per type prefix and categorical labels (clothing, carried object)."""
    names = [f.name for f in factors("categorical")]
    c = Counter((lab.seq_type.split("-")[0], *lab.categorical_labels().values()) for lab in labels)
    rows = ["| " + " | ".join(["type", *names, "sequences"]) + " |", "|---" * (len(names) + 2) + "|"]
    rows += ["| " + " | ".join([*key, str(n)]) + " |" for key, n in sorted(c.items())]
    return "\n".join(rows)


def write_card(root: str | Path, title: str, summary: str, labels: list[SequenceLabels],
               sections: dict[str, str] | None = None, spec: dict | None = None) -> Path:
    """Write `root/README.md`: title, summary, counts, extra sections, the spec, and licence/credit lines."""
    root = Path(root)
    subjects = sorted({lab.subject for lab in labels})
    views = sorted({lab.view for lab in labels})
    parts = [
        f"# {title}", "", summary, "",
        f"- subjects: {len(subjects)}; sequences: {len(labels)}; views: {', '.join(f'{v:g}' for v in views)}",
        f"- written: {datetime.date.today().isoformat()} by GaitCraft",
        "- layout: OpenGait (`<id>/<type>/<view>/<view>.pkl`, uint8 [t, 64, 64], 0/255), labels in "
        "`manifest.jsonl`, split in `partition.json`", "",
        "## Counts", "", counts_table(labels), "",
    ]
    for head, body in (sections or {}).items():
        parts += [f"## {head}", "", body, ""]
    if spec is not None:
        parts += ["## Spec", "", "```json", json.dumps(spec, indent=1), "```", ""]
    parts += ["## Licence and credit", "", f"- {CMU_CREDIT}", f"- {ANNY_CREDIT}", ""]
    path = root / "README.md"
    atomic_write_text(path, "\n".join(parts))
    return path
