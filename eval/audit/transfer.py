"""Task 2, identity transfer: motion of A on the appearance of B. Whom does the recognizer say it is?

Per pair, the nearest gallery sequence decides the attribution: 'motion' (A), 'appearance' (B) or 'other'.
A softer reading compares the closest gallery sequence of A with that of B. The summary gives the
motion- and appearance-attribution rates and which of the two the recognizer follows.
"""

from __future__ import annotations

ATTRIBUTIONS = ("motion", "appearance", "other")


def attribute(nearest_id: str, motion_id: str, appearance_id: str) -> str:
    """'motion', 'appearance' or 'other': whose identity the nearest gallery sequence has."""
    if nearest_id == motion_id:
        return "motion"
    if nearest_id == appearance_id:
        return "appearance"
    return "other"


def transfer_pair(motion_id: str, appearance_id: str, nearest_id: str, d_motion: float, d_appearance: float) -> dict:
    """Attribution numbers of one transfer pair (distances to each source's closest gallery sequence)."""
    return {
        "attribution": attribute(nearest_id, motion_id, appearance_id),
        "d_motion": d_motion,
        "d_appearance": d_appearance,
        "closer_to": "motion" if d_motion < d_appearance else "appearance",
    }


def summarize_transfer(pairs: list[dict]) -> dict:
    """Attribution rates (%) over the transfer pairs and the source the recognizer follows."""
    ts = [p["biometric"] for p in pairs if p["task"] == "transfer"]
    if not ts:
        return {"pairs": 0}
    n = len(ts)
    rates = {a: 100.0 * sum(t["attribution"] == a for t in ts) / n for a in ATTRIBUTIONS}
    closer_motion = 100.0 * sum(t["closer_to"] == "motion" for t in ts) / n
    return {
        "pairs": n,
        "motion_attribution": rates["motion"],
        "appearance_attribution": rates["appearance"],
        "other_attribution": rates["other"],
        "closer_to_motion": closer_motion,
        "closer_to_appearance": 100.0 - closer_motion,
        "follows": follows(rates),
    }


def follows(rates: dict[str, float]) -> str:
    """'motion', 'appearance', 'neither' (most pairs go to a third identity) or 'tie'."""
    ranked = sorted(ATTRIBUTIONS, key=lambda a: -rates[a])
    if rates[ranked[0]] == rates[ranked[1]]:
        return "tie"
    return "neither" if ranked[0] == "other" else ranked[0]


def transfer_verdict(summary: dict) -> str:
    """One sentence on what the recognizer follows."""
    if not summary.get("pairs"):
        return "No transfer pairs."
    return (f"The recognizer attributes {summary['motion_attribution']:.0f}% of transferred clips to the motion "
            f"source and {summary['appearance_attribution']:.0f}% to the appearance source "
            f"({summary['other_attribution']:.0f}% to someone else): " + _follows_text(summary["follows"]))


def _follows_text(f: str) -> str:
    if f in ("motion", "appearance"):
        return f"it follows **{f}**."
    if f == "neither":
        return "it follows **neither** source; most clips match a third identity."
    return "it follows **neither source more than the other** (a tie)."
