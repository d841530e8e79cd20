"""Sensitivity charts: indices with intervals per output, and full versus half-sample indices."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.sensitivity.methods import METHODS  # noqa: E402

LABELS = {"S1": "first order S1", "ST": "total ST", "mu_star": "mu*", "sigma": "sigma"}


def index_bars(table: pd.DataFrame, output: str, method: str, path: Path) -> None:
    """Horizontal bars of one output's indices (full sample) with their intervals."""
    full = table[(table["output"] == output) & (table["sample"] == "full")]
    kinds = [k for k in METHODS[method].SHOWN if k in set(full["index"])]
    params = list(dict.fromkeys(full["parameter"]))
    height = 0.8 / max(len(kinds), 1)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * len(params) * max(len(kinds), 1) ** 0.5))
    y = np.arange(len(params))
    for i, kind in enumerate(kinds):
        part = full[full["index"] == kind].set_index("parameter").reindex(params)
        err = part["conf"].fillna(0).to_numpy()
        ax.barh(y + i * height, part["value"], height, xerr=err, capsize=2, label=LABELS[kind])
    ax.set_yticks(y + height * (len(kinds) - 1) / 2, params, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(
        "index (bars: 95% bootstrap interval)" if METHODS[method].SHARES else "mu*, sigma"
    )
    ax.set_title(f"{output} ({method})", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def convergence_plot(conv: pd.DataFrame, method: str, path: Path) -> None:
    """Each checked index on the full sample (x) against the first half (y), flagged in red."""
    outputs = list(dict.fromkeys(conv["output"]))
    cols = min(len(outputs), 3)
    rows = int(np.ceil(len(outputs) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.8 * rows), squeeze=False)
    for ax, output in zip(axes.ravel(), outputs, strict=False):
        part = conv[conv["output"] == output]
        colors = np.where(part["flagged"], "tab:red", "tab:blue")
        ax.errorbar(
            part["value"],
            part["value_half"],
            xerr=part["conf"],
            yerr=part["conf_half"],
            fmt="none",
            ecolor="0.7",
            linewidth=0.8,
        )
        ax.scatter(part["value"], part["value_half"], c=colors, s=14, zorder=3)
        lo = float(np.nanmin([part["value"].min(), part["value_half"].min(), 0.0]))
        hi = float(np.nanmax([part["value"].max(), part["value_half"].max(), 1e-9]))
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.6)
        ax.set_title(output, fontsize=9)
        ax.set_xlabel("full sample")
        ax.set_ylabel("first half")
    for ax in axes.ravel()[len(outputs) :]:
        ax.axis("off")
    fig.suptitle(f"convergence ({method}): red = flagged", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def peeling_plot(trajectory: pd.DataFrame, chosen: int, goal: str, path: Path) -> None:
    """PRIM's peeling trajectory: density against coverage, coloured by restricted dimensions."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    points = ax.scatter(
        trajectory["coverage"], trajectory["density"], c=trajectory["restricted"],
        cmap="viridis", s=22, zorder=3,
    )  # fmt: skip
    ax.plot(trajectory["coverage"], trajectory["density"], color="0.6", lw=0.8, zorder=2)
    pick = trajectory.iloc[chosen]
    ax.scatter(
        [pick["coverage"]], [pick["density"]], s=160, facecolors="none",
        edgecolors="tab:red", linewidths=1.8, zorder=4, label=f"chosen box ({chosen})",
    )  # fmt: skip
    fig.colorbar(points, ax=ax, label="restricted parameters")
    ax.set_xlabel("coverage (share of goal-meeting points inside the box)")
    ax.set_ylabel("density (share of points inside that meet the goal)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(f"PRIM peeling trajectory: {goal}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def box_plot(box: pd.DataFrame, goal: str, stats: dict, path: Path) -> None:
    """Each parameter's box limits as a share of its sampled range (restricted ones first)."""
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.4 * len(box)))
    y = np.arange(len(box))[::-1]
    width = (box["high"] - box["low"]).where(lambda w: w > 0, 1.0)
    lo = (box["min"] - box["low"]) / width
    hi = (box["max"] - box["low"]) / width
    colours = np.where(box["restricted"], "tab:blue", "0.8")
    ax.barh(y, hi - lo, left=lo, color=colours, height=0.6)
    for yi, (_, row) in zip(y, box.iterrows(), strict=True):
        if row["restricted"]:
            ax.text(1.01, yi, f"{row['min']:.3g} to {row['max']:.3g}", va="center", fontsize=8)
    ax.set_yticks(y, box["parameter"], fontsize=8)
    ax.set_xlim(0, 1.35)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("share of the sampled range (blue: restricted by the box)")
    ax.set_title(
        f"{goal}: coverage {stats['coverage']:.0%}, density {stats['density']:.0%}, "
        f"mass {stats['mass']:.0%}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
