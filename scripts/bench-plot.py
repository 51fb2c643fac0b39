#!/usr/bin/env python3
"""Plots a `shuffle-load compare` results.json into PNGs next to it.

usage: bench-plot.py RESULTS_JSON OUT_DIR
"""
import json
import sys
from statistics import mean

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"jvm": "#c0504d", "ours": "#4f81bd"}
LABELS = {"jvm": "Spark 3.5.6 JVM service", "ours": "ours (shuffle-server)"}


def per_workload(results, key):
    names = [w["name"] for w in results["workloads"]]
    out = {}
    for kind in ("jvm", "ours"):
        out[kind] = [
            mean(key(r["report"]) for r in results["runs"]
                 if r["workload"] == n and r["kind"] == kind and r.get("client", "ours") == "ours")
            for n in names
        ]
    return names, out


def bars(ax, names, values, ylabel, title, log=False):
    width = 0.38
    xs = range(len(names))
    for i, kind in enumerate(("jvm", "ours")):
        ax.bar([x + (i - 0.5) * width for x in xs], values[kind], width, color=COLORS[kind], label=LABELS[kind])
    ax.set_xticks(list(xs))
    ax.set_xticklabels(names, rotation=20)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3)


def save(fig, axes, note, path):
    """Legend on the first panel, the run's note as the title, written as a PNG."""
    axes[0].legend(fontsize=8)
    fig.suptitle(note, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    path, out = sys.argv[1], sys.argv[2]
    with open(path) as f:
        results = json.load(f)
    note = "2-core shared VM, loopback; means over %d round(s)" % (
        max(r["round"] for r in results["runs"]) + 1)

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    names, mbs = per_workload(results, lambda r: r["mb_per_s"])
    bars(axes[0], names, mbs, "MB/s (10^6 B/s)", "Throughput")
    ceiling = [s for s in results["sendfile"] if not s["checksum"]]
    for s in ceiling:
        axes[0].axhline(s["gb_per_s"] * 1e3, ls="--", color="gray", lw=1)
        axes[0].text(len(names) - 0.5, s["gb_per_s"] * 1e3, "sendfile loop, %d conn" % s["connections"],
                     ha="right", va="bottom", fontsize=8, color="gray")
    names, bps = per_workload(results, lambda r: r["blocks_per_s"])
    bars(axes[1], names, bps, "blocks/s", "Blocks per second", log=True)
    save(fig, axes, note, f"{out}/throughput.png")

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    names, p50 = per_workload(results, lambda r: r["latency_ms"]["p50"])
    bars(axes[0], names, p50, "ms", "Request latency p50", log=True)
    names, p99 = per_workload(results, lambda r: r["latency_ms"]["p99"])
    bars(axes[1], names, p99, "ms", "Request latency p99", log=True)
    save(fig, axes, note, f"{out}/latency.png")

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    names, cpu = per_workload(results, lambda r: r["server"]["cpu_s_per_gb"])
    bars(axes[0], names, cpu, "server CPU-seconds per GB", "Server CPU per GB served", log=True)
    names, rss = per_workload(results, lambda r: r["server"]["peak_rss_mib"])
    bars(axes[1], names, rss, "MiB", "Server peak RSS during the run", log=True)
    starts = {"jvm": results["jvm_startups"], "ours": results["ours_startups"]}
    labels = ["start → listening", "start → first block"]
    vals = {k: [mean(s["listen_ms"] for s in v), mean(s["first_block_ms"] for s in v)] for k, v in starts.items()}
    bars(axes[2], labels, vals, "ms", "Start-up", log=True)
    axes[2].set_xticklabels(labels, rotation=0)
    save(fig, axes, note, f"{out}/cpu_rss_startup.png")
    written = ["throughput.png", "latency.png", "cpu_rss_startup.png"]
    if results.get("layout_runs"):
        layouts(results, f"{out}/layouts.png")
        written.append("layouts.png")
    print(f"bench-plot: wrote {out}/" + ", ".join(written))


def layouts(results, path):
    """Blocks/s and server CPU/GB against the map outputs on the host, ours and the JVM's,
    one line per block size and cache state (Spark's client, one connection)."""
    runs = results["layout_runs"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    groups = sorted({(r["block_size"], r["cold"]) for r in runs})
    for block_size, cold in groups:
        size = "4 KiB" if block_size == 4096 else "2 MiB"
        style = {(4096, False): "-", (4096, True): ":"}.get((block_size, cold), "--")
        for kind in ("jvm", "ours"):
            mine = [r for r in runs if r["block_size"] == block_size and r["cold"] == cold and r["kind"] == kind]
            maps = sorted({r["maps"] for r in mine})
            if not maps:
                continue
            rate = [mean(r["report"]["blocks_per_s"] for r in mine if r["maps"] == m) for m in maps]
            cpu = [mean(r["report"]["server"]["cpu_s_per_gb"] for r in mine if r["maps"] == m) for m in maps]
            label = "%s, %s%s" % (LABELS[kind], size, ", cold cache" if cold else "")
            axes[0].plot(maps, rate, style, marker="o", color=COLORS[kind], label=label)
            axes[1].plot(maps, cpu, style, marker="o", color=COLORS[kind], label=label)
    for ax, ylabel, title in ((axes[0], "blocks/s", "Blocks per second"),
                              (axes[1], "server CPU-seconds per GB", "Server CPU per GB served")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("map outputs on the host")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both")
    save(fig, axes, "Spark 3.5.6's client at its defaults: one connection per executor, "
         "32 requests of 100 blocks (2 MiB: 8 of 4) in flight", path)


if __name__ == "__main__":
    main()
