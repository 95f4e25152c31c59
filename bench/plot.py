"""Plot the ratios of a bench/run.py results.json to a PNG.

    python plot.py results.json ratios.png

One group of bars per workload, one bar per stack: the median of the
per-round ratios to the C program on the same libssl, with min-max
whiskers and the issue's target as a tick.  Memory is drawn as C/stack so
that higher is better everywhere.  Needs matplotlib (bench/run.py's tools
environment has it).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

WORKLOADS = [("w1-tls13", "W1 handshakes\nTLS 1.3 ECDSA"),
             ("w1-tls12", "W1 handshakes\nTLS 1.2 RSA"),
             ("w2", "W2 bulk\n16 KiB, memory BIO"),
             ("w3", "W3 64-byte\nrecords"),
             ("w4", "W4 loopback\nTCP"),
             ("mem", "memory per\nconnection (C/stack)")]


def main(source, target):
    with open(source) as data:
        report = json.load(data)
    summary = report["summary"]
    stacks = [s["name"] for s in report["stacks"]
              if not s["name"].startswith("c") and not s["error"]
              and any(s["name"] in summary.get(w, {}) for w, _ in WORKLOADS)]
    workloads = [(w, label) for w, label in WORKLOADS if w in summary]
    width = 0.8 / max(1, len(stacks))
    colours = plt.get_cmap("tab20").colors
    figure, axes = plt.subplots(figsize=(max(9, 1.6 * len(workloads) + 0.35 * len(stacks)), 5.5))
    for i, stack in enumerate(stacks):
        xs, heights, low, high = [], [], [], []
        for j, (workload, _) in enumerate(workloads):
            entry = summary[workload].get(stack)
            if not entry or "ratio" not in entry:
                continue
            ratio, lo, hi = entry["ratio"], entry["ratio_min"], entry["ratio_max"]
            if workload == "mem":
                ratio, lo, hi = 1 / ratio, 1 / hi, 1 / lo
            xs.append(j - 0.4 + width * (i + 0.5))
            heights.append(ratio)
            low.append(ratio - lo)
            high.append(hi - ratio)
        axes.bar(xs, heights, width, yerr=[low, high], capsize=2, label=stack,
                 color=colours[i % len(colours)])
    for j, (workload, _) in enumerate(workloads):
        goal = report["targets"].get(workload)
        if goal:
            goal = 1 / goal if workload == "mem" else goal
            axes.plot([j - 0.42, j + 0.42], [goal, goal], color="black",
                      linestyle="--", linewidth=1)
    axes.axhline(1.0, color="grey", linewidth=0.8)
    axes.set_xticks(range(len(workloads)))
    axes.set_xticklabels([label for _, label in workloads], fontsize=8)
    axes.set_ylabel("ratio to the C program on the same OpenSSL (higher is better)")
    axes.set_title("TLS stacks relative to OpenSSL driven from C (%s, %s round(s); "
                   "dashed: target)" % (report["date"], report["rounds"]), fontsize=10)
    axes.legend(fontsize=7, ncol=2, loc="upper right")
    figure.tight_layout()
    figure.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
