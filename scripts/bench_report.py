#!/usr/bin/env python3
"""Turn the benchmark harness output into BENCHMARKS.md, an SVG chart and a JSON summary.

Inputs (all under the cargo target directory, default ./target):
  criterion/**/new/benchmark.json + estimates.json   timings (cargo bench --bench ws)
  bench-meta.json     what one iteration of each benchmark processes (written by benches/ws.rs)
  bench-allocs.json   optional: allocations/message and idle sizes (BENCH_ALLOCS=1 cargo bench --bench ws)
  ../Cargo.lock       peer versions

Outputs:
  BENCHMARKS.md              one table per workload: ns/msg, msgs/s, GB/s, % of floor, ratio to ours
  benches/ratios.svg         grouped bar chart: each peer's time divided by ours, per workload
  target/bench-summary.json  one object per workload: ours, each peer's figure, the floors, the ratios

Usage: python3 scripts/bench_report.py [--target DIR] [--out BENCHMARKS.md] [--svg benches/ratios.svg]
Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

OURS = "ours"
PEERS = ["tungstenite", "tokio-websockets", "fastwebsockets", "websocket-sans-io"]
PEER_CRATES = PEERS + ["criterion", "tokio"]
FLOOR_PREFIX = "floor-"
# The floor each workload's "% of floor" is computed against.
PRIMARY_FLOOR = {"decode": "floor-readcopy", "encode": "floor-copy", "stream": "floor-readcopy"}
COLORS = {
    "tungstenite": "#4e79a7",
    "tokio-websockets": "#f28e2b",
    "fastwebsockets": "#59a14f",
    "websocket-sans-io": "#b07aa1",
    "floor-readcopy": "#9c9c9c",
    "floor-copy": "#9c9c9c",
    "floor-memcpy": "#cfcfcf",
}


def load_json(path: Path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_criterion(crit_dir: Path) -> dict[tuple[str, str], dict]:
    """(group_id, function_id) -> {"ns": median ns per iteration, "lo": .., "hi": .., "mean": ..}."""
    out: dict[tuple[str, str], dict] = {}
    if not crit_dir.is_dir():
        return out
    for bench_json in crit_dir.glob("**/new/benchmark.json"):
        est_path = bench_json.parent / "estimates.json"
        if not est_path.exists():
            continue
        b = load_json(bench_json)
        e = load_json(est_path)
        med = e["median"]
        out[(b["group_id"], b.get("function_id") or "")] = {
            "ns": med["point_estimate"],
            "lo": med["confidence_interval"]["lower_bound"],
            "hi": med["confidence_interval"]["upper_bound"],
            "mean": e["mean"]["point_estimate"],
        }
    return out


def lock_versions(lock: Path) -> dict[str, str]:
    versions: dict[str, str] = {}
    if not lock.exists():
        return versions
    text = lock.read_text(encoding="utf-8")
    for m in re.finditer(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', text):
        if m.group(1) in PEER_CRATES:
            versions.setdefault(m.group(1), m.group(2))
    return versions


def machine() -> str:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ncpu = os.cpu_count()
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rustc = "rustc (unknown)"
    return f"{cpu}, {ncpu} logical CPUs, {platform.system()} {platform.release()}; {rustc}"


def fmt_ns(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.3g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def fmt_ns_msg(ns: float) -> str:
    if ns >= 1e6:
        return fmt_ns(ns)
    if ns >= 100:
        return f"{ns:,.0f}"
    return f"{ns:.3g}"


def fmt_allocs(a: float | None) -> str:
    if a is None:
        return "–"
    if a == 0:
        return "0"
    if a < 0.01:
        return "< 0.01"
    return f"{a:.2f}"


def fmt_rate(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g}"


def fmt_ratio(r: float | None) -> str:
    return "–" if r is None else f"{r:.2f}×"


def build_summary(meta: dict, crit: dict, allocs: dict | None) -> list[dict]:
    alloc_idx: dict[tuple[str, str], dict] = {}
    if allocs:
        for row in allocs.get("allocs", []):
            alloc_idx[(row["workload"], row["impl"])] = row
    summary = []
    for w in meta["workloads"]:
        wid = w["id"]
        figures: dict[str, dict] = {}
        for name, per_iter in w["impls"].items():
            t = crit.get((wid, name))
            if t is None:
                continue
            ns_iter = t["ns"]
            msgs = per_iter["msgs"]
            payload = per_iter["payload_bytes"]
            fig = {
                "ns_per_iter": ns_iter,
                "ns_per_iter_ci": [t["lo"], t["hi"]],
                "msgs_per_iter": msgs,
                "payload_bytes_per_iter": payload,
                "ns_per_msg": ns_iter / msgs,
                "msgs_per_s": msgs / (ns_iter * 1e-9),
                "gb_per_s": payload / ns_iter,  # bytes/ns == GB/s (decimal)
            }
            a = alloc_idx.get((wid, name))
            if a is not None:
                fig["allocs_per_msg"] = a["allocs_per_msg"]
                fig["alloc_bytes_per_msg"] = a["bytes_per_msg"]
            figures[name] = fig
        floor_name = PRIMARY_FLOOR.get(w["category"])
        floor = figures.get(floor_name) if floor_name else None
        for name, fig in figures.items():
            # "% of floor": how close the implementation comes to the floor, per byte of payload.
            if floor and not name.startswith(FLOOR_PREFIX):
                fig["pct_of_floor"] = 100.0 * fig["gb_per_s"] / floor["gb_per_s"]
        ours = figures.get(OURS)
        ratios = {}
        for name, fig in figures.items():
            if name == OURS or name.startswith(FLOOR_PREFIX) or ours is None:
                continue
            # > 1: ours is faster. Per byte of payload, which is the same as per message except for
            # the stream workload, where the assembling peer runs on a smaller message.
            ratios[name] = ours["gb_per_s"] / fig["gb_per_s"]
        summary.append(
            {
                "id": wid,
                "title": w["title"],
                "category": w["category"],
                "ours": ours,
                "peers": {k: v for k, v in figures.items() if k != OURS and not k.startswith(FLOOR_PREFIX)},
                "floors": {k: v for k, v in figures.items() if k.startswith(FLOOR_PREFIX)},
                "ratios_peer_time_over_ours": ratios,
                "primary_floor": floor_name if floor else None,
            }
        )
    return summary


def order_impls(names) -> list[str]:
    rank = {OURS: 0, "ours-ref": 0.5, "ours-copy": 0.6, **{p: i + 1 for i, p in enumerate(PEERS)}}
    return sorted(names, key=lambda n: (rank.get(n, 100 if n.startswith(FLOOR_PREFIX) else 50), n))


def markdown(summary: list[dict], meta: dict, allocs: dict | None, versions: dict, svg_rel: str | None) -> str:
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("Generated by `scripts/bench_report.py` from `cargo bench --bench ws` (criterion) — do not edit by hand.")
    L.append("")
    L.append(f"- Machine: {machine()}")
    mode = "QUICK (`BENCH_QUICK=1`: 150 ms warm-up, 400 ms measurement, 10 samples — indicative only)" if meta.get(
        "quick") else "full (criterion defaults)"
    L.append(f"- Mode: {mode}")
    L.append("- Peers: " + ", ".join(f"`{k}` {versions.get(k, '?')}" for k in PEERS)
             + f"; criterion {versions.get('criterion', '?')}, tokio {versions.get('tokio', '?')} (current-thread runtime)")
    L.append("")
    L.append("How to read the tables:")
    L.append("")
    L.append("- Every implementation gets the same bytes from an in-memory socket, in reads of at most 64 KiB "
             "(1 500 B for the fragmented workload): ≥ 4 MiB of distinct masked client frames, each with its own "
             "mask key. Every implementation checksums every payload it delivers; before timing, the harness checks "
             "that all of them produced the same message count and checksum (encoders: a reference parser decodes "
             "their output back to the original payloads).")
    L.append("- Time is criterion's median per iteration divided by the messages in one iteration. "
             "GB/s = payload bytes (decimal GB) per second. "
             "`floor-readcopy` = the same reads copied into a 64 KiB buffer and checksummed, no parsing; "
             "`floor-copy` (encode) = the payloads appended to the output buffer; `floor-memcpy` = one memcpy "
             "of all the bytes. **% of floor** = implementation throughput / floor throughput.")
    L.append("- **× vs ours** = the implementation's time per message divided by ours "
             "(> 1: ours is faster; < 1: ours is slower). Blocking peers (tungstenite) run directly; async ones "
             "(tokio-websockets, fastwebsockets) in one current-thread tokio runtime; the sans-IO ones "
             "(ours, websocket-sans-io) are fed from one reusable 64 KiB read buffer.")
    L.append("- websocket-sans-io is a frame-level parser: the harness assembles fragmented messages into one "
             "reusable buffer and checks text with `std::str::from_utf8`; fastwebsockets uses its `FragmentCollector`.")
    L.append("")
    if svg_rel:
        L.append(f"![time relative to ours, per workload]({svg_rel})")
        L.append("")
    for s in summary:
        L.append(f"## {s['id']}")
        L.append("")
        L.append(s["title"] + ".")
        L.append("")
        figs = {}
        if s["ours"]:
            figs[OURS] = s["ours"]
        figs.update(s["peers"])
        figs.update(s["floors"])
        if not figs:
            L.append("_no criterion results found for this workload_")
            L.append("")
            continue
        has_alloc = any("allocs_per_msg" in f for f in figs.values())
        head = ["implementation", "ns/msg", "msgs/s", "GB/s", "% of floor", "× vs ours"]
        if has_alloc:
            head.append("allocs/msg")
        L.append("| " + " | ".join(head) + " |")
        L.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
        for name in order_impls(figs):
            f = figs[name]
            pct = f.get("pct_of_floor")
            ratio = s["ratios_peer_time_over_ours"].get(name)
            if name == OURS and s["ours"]:
                ratio = 1.0
            label = f"**{name}**" if name == OURS else name
            if s["category"] == "stream":
                label += f" ({f['payload_bytes_per_iter'] / 2**20:.0f} MiB)"
            row = [
                label,
                fmt_ns_msg(f["ns_per_msg"]),
                fmt_rate(f["msgs_per_s"]),
                f"{f['gb_per_s']:.3f}",
                "–" if pct is None else f"{pct:.1f} %",
                "–" if name.startswith(FLOOR_PREFIX) else fmt_ratio(ratio),
            ]
            if has_alloc:
                a = f.get("allocs_per_msg")
                row.append(fmt_allocs(a))
            L.append("| " + " | ".join(row) + " |")
        L.append("")
    if allocs and allocs.get("idle"):
        L.append("## Idle connection size")
        L.append("")
        L.append("Server role, opened in framing mode (no handshake). `struct` = `size_of` the connection object "
                 "without its transport; heap = bytes it holds right after construction, and after receiving one "
                 "16-byte message (lazily allocated buffers included). The sans-IO crates also need the caller's read "
                 "buffer (64 KiB here), which is not counted.")
        L.append("")
        L.append("| implementation | struct (B) | heap fresh (B) | heap after 1 msg (B) | total after 1 msg (B) |")
        L.append("|---|---:|---:|---:|---:|")
        idle = {r["impl"]: r for r in allocs["idle"]}
        for row in (idle[n] for n in order_impls(idle)):
            total = row["struct_bytes"] + row["heap_after_msg"]
            name = f"**{row['impl']}**" if row["impl"] == OURS else row["impl"]
            L.append(f"| {name} | {row['struct_bytes']} | {row['heap_fresh']} | {row['heap_after_msg']} | {total} |")
        L.append("")
    if not allocs:
        L.append("_Allocation counts not available: run `BENCH_ALLOCS=1 cargo bench --bench ws` first._")
        L.append("")
    else:
        L.append("Allocations/message come from a separate untimed pass (`BENCH_ALLOCS=1`) with a counting global "
                 "allocator: one pass over each corpus, connection setup included, reallocations counted as "
                 "allocations.")
        L.append("")
    return "\n".join(L) + "\n"


def svg_chart(summary: list[dict]) -> str:
    """Grouped horizontal bars, log scale: peer time / our time per workload (ratio > 1: ours faster).
    Without our results, falls back to implementation time / read-copy floor time."""
    have_ours = any(s["ours"] for s in summary)
    rows = []  # (workload id, [(impl, value)])
    for s in summary:
        vals = []
        if have_ours:
            for name in order_impls(s["ratios_peer_time_over_ours"]):
                vals.append((name, s["ratios_peer_time_over_ours"][name]))
        else:
            floor = s["floors"].get(s["primary_floor"] or "")
            if floor:
                for name in order_impls(s["peers"]):
                    vals.append((name, floor["gb_per_s"] / s["peers"][name]["gb_per_s"]))
        if vals:
            rows.append((s["id"], vals))
    if have_ours:
        title = "Peer time ÷ our time (log scale; right of 1 = ours faster)"
    else:
        title = "Time ÷ read-copy floor time (log scale; our crate not measured yet)"
    if not rows:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="40"><text x="10" y="25">{html.escape(title)}: no data</text></svg>\n'
    values = [v for _, vals in rows for _, v in vals if v > 0]
    lo = min(min(values), 1.0)
    hi = max(max(values), 1.0)
    lo_e = math.floor(math.log10(lo) * 2) / 2
    hi_e = math.ceil(math.log10(hi) * 2) / 2
    if hi_e - lo_e < 1:
        hi_e = lo_e + 1
    bar_h, gap, label_w, plot_w, top, right = 9, 10, 250, 620, 60, 30
    impls = order_impls({n for _, vals in rows for n, _ in vals})
    height = top + sum(len(vals) * bar_h + gap for _, vals in rows) + 60
    width = label_w + plot_w + right

    def x(v: float) -> float:
        return label_w + (math.log10(v) - lo_e) / (hi_e - lo_e) * plot_w

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    # legend
    lx = label_w
    for name in impls:
        o.append(f'<rect x="{lx}" y="32" width="10" height="10" fill="{COLORS.get(name, "#888")}"/>')
        o.append(f'<text x="{lx + 14}" y="41">{html.escape(name)}</text>')
        lx += 16 + 7 * len(name) + 14
    # grid: 1-2-5 ticks
    for e10 in range(math.floor(lo_e) - 1, math.ceil(hi_e) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e10
            if not (lo_e - 1e-9 <= math.log10(v) <= hi_e + 1e-9):
                continue
            gx = x(v)
            o.append(f'<line x1="{gx:.1f}" y1="{top - 5}" x2="{gx:.1f}" y2="{height - 45}" stroke="#ddd"/>')
            o.append(f'<text x="{gx:.1f}" y="{height - 30}" text-anchor="middle">{v:g}</text>')
    one = x(1.0)
    o.append(f'<line x1="{one:.1f}" y1="{top - 5}" x2="{one:.1f}" y2="{height - 45}" stroke="black" stroke-width="1.5"/>')
    y = top
    for wid, vals in rows:
        group_h = len(vals) * bar_h
        o.append(f'<text x="{label_w - 8}" y="{y + group_h / 2 + 4:.1f}" text-anchor="end">{html.escape(wid)}</text>')
        for name, v in vals:
            x0, x1 = sorted((one, x(v)))
            o.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar_h - 1}" '
                     f'fill="{COLORS.get(name, "#888")}"><title>{html.escape(name)}: {v:.3g}</title></rect>')
            y += bar_h
        y += gap
    o.append(f'<text x="{label_w + plot_w / 2}" y="{height - 10}" text-anchor="middle">'
             f'{"peer ns/msg ÷ ours ns/msg" if have_ours else "implementation time ÷ floor time"}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default=os.environ.get("CARGO_TARGET_DIR", "target"))
    ap.add_argument("--out", default="BENCHMARKS.md")
    ap.add_argument("--svg", default="benches/ratios.svg")
    ap.add_argument("--lock", default="Cargo.lock")
    args = ap.parse_args()

    target = Path(args.target)
    meta_path = target / "bench-meta.json"
    if not meta_path.exists():
        print(f"error: {meta_path} not found: run `cargo bench --bench ws` first", file=sys.stderr)
        return 1
    meta = load_json(meta_path)
    crit = read_criterion(target / "criterion")
    if not crit:
        print(f"error: no criterion results under {target / 'criterion'}", file=sys.stderr)
        return 1
    allocs_path = target / "bench-allocs.json"
    allocs = load_json(allocs_path) if allocs_path.exists() else None
    versions = lock_versions(Path(args.lock))

    summary = build_summary(meta, crit, allocs)
    missing = [s["id"] for s in summary if not s["peers"] and not s["ours"]]
    if missing:
        print(f"warning: no results for {', '.join(missing)}", file=sys.stderr)

    svg_path = Path(args.svg)
    svg_path.parent.mkdir(parents=True, exist_ok=True)
    svg_path.write_text(svg_chart(summary), encoding="utf-8")
    out_path = Path(args.out)
    try:
        svg_rel = os.path.relpath(svg_path, out_path.parent)
    except ValueError:
        svg_rel = str(svg_path)
    report = markdown(summary, meta, allocs, versions, svg_rel)
    # The Python binding's figures (python/bench/decode.py --markdown) come after.
    binding = Path(__file__).resolve().parent.parent / "python" / "bench" / "RESULTS.md"
    if binding.exists():
        report += "\n" + binding.read_text(encoding="utf-8")
    out_path.write_text(report, encoding="utf-8")
    summary_path = target / "bench-summary.json"
    summary_path.write_text(json.dumps({"quick": meta.get("quick"), "versions": versions, "workloads": summary},
                                       indent=2), encoding="utf-8")
    print(f"wrote {out_path}, {svg_path}, {summary_path}")
    # short console digest
    for s in summary:
        base = s["ours"] or s["floors"].get(s["primary_floor"] or "")
        parts = []
        for name in order_impls(list(s["peers"]) + ([OURS] if s["ours"] else [])):
            f = s["ours"] if name == OURS else s["peers"][name]
            parts.append(f"{name} {f['ns_per_msg']:.4g}")
        if base is not None or parts:
            print(f"  {s['id']:<38} ns/msg: " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
