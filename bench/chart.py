"""The chart of `make bench`: final-turn wait and turn response times, ours against the baseline, as CDFs.

matplotlib is imported here, lazily: it is only in the `bench` extra of pyproject.toml, which `make bench`
installs and `make test` does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ALEXA_LIMIT_S = 8.0
TICKS_S = (0.01, 0.03, 0.1, 0.3, 1, 3, 8, 30)


def draw(results: dict[str, Any], samples: dict[str, list[float]], path: Path) -> bool:
    """Writes the PNG; False (with a note) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no chart: matplotlib is missing (pip install -e '.[bench]', as make bench does)")
        return False
    c = results["conversations"]
    figure, (waits, turns) = plt.subplots(1, 2, figsize=(13, 5.8), layout="constrained")
    for axis, keys, title in (
        (waits, ("ours_final_wait_s", "baseline_final_wait_s"), "Final-turn wait: last answer to spoken offer"),
        (turns, ("ours_turn_s", "baseline_turn_s"), "Skill turn response time"),
    ):
        for key, label, colour in zip(keys, ("ours: search from the first turn", "baseline: search at the last turn"),
                                      ("tab:blue", "tab:red"), strict=True):  # fmt: skip
            values = sorted(samples[key])
            if not values:
                continue
            share = [(i + 1) / len(values) for i in range(len(values))]
            median = values[len(values) // 2]
            axis.step(values, share, where="post", color=colour, linewidth=2, label=f"{label} (median {median:.2f} s)")
        axis.set_xscale("log")
        axis.set_xlim(0.005, 40)
        axis.set_xticks(TICKS_S, [f"{tick:g}" for tick in TICKS_S])
        axis.set_ylim(0, 1.0)
        axis.set_xlabel("seconds (realistic; log scale)")
        axis.set_ylabel("share of " + ("conversations" if axis is waits else "turns") + " at or under")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=9, frameon=False)
    turns.axvline(ALEXA_LIMIT_S, color="black", linestyle="--", linewidth=1)
    turns.text(ALEXA_LIMIT_S * 1.05, 0.05, "Alexa's 8 s limit", rotation=90, fontsize=9)
    ratio = c["ratio_baseline_over_ours"]
    figure.suptitle(
        f"Car Search: {c['conversations']} conversations per design, {c['users']} people at a time, "
        f"time scale {c['time_scale']:g} (times shown in realistic seconds). "
        f"Final-turn wait baseline / ours: p50 {ratio.get('p50', 0):.1f}x, p95 {ratio.get('p95', 0):.1f}x",
        fontsize=11,
    )
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
