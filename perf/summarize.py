#!/usr/bin/env python3
"""Turns the raw fio output of one yardstick boot into results.

    perf/summarize.py RUN_DIR/fio OUT_PREFIX "COMMAND"

Writes OUT_PREFIX.json (every figure) and OUT_PREFIX.md (a table; when both
the kernel target and nvmf-tgt ran in the boot, the ours/kernel ratios).
When RUN_DIR/fio holds rounds (r1/, r2/, ..., from perf/pair-yardstick.sh),
each round gets its table and the .md ends with the median ratio per job
over the rounds (each round's ratio is ours against the kernel target of the
same round). A lab-shape file in a round's folder replaces the default
description of the lab.
"""
import json, os, statistics, sys

JOBS = ["randread-4k-qd1", "randread-4k-qd32", "randwrite-4k-qd32", "seqread-128k-qd8"]


def load(d, label, job):
    p = os.path.join(d, f"{label}.{job}.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        text = f.read()
    # fio may print notes before the JSON object
    data = json.loads(text[text.index("{"):])
    j = data["jobs"][0]
    side = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
    clat = side.get("clat_ns", {}).get("percentile", {})
    r = {
        "iops": round(side["iops"], 1),
        "bw_mib_s": round(side["bw_bytes"] / 1048576, 2),
        "lat_mean_us": round(side["lat_ns"]["mean"] / 1000, 1),
        "clat_p50_us": round(clat.get("50.000000", 0) / 1000, 1),
        "clat_p99_us": round(clat.get("99.000000", 0) / 1000, 1),
        "errors": j.get("error", 0),
    }
    perf = os.path.join(d, f"{label}.{job}.nvmf-perf.json")
    if os.path.exists(perf):
        p = json.load(open(perf))
        r["nvmf_perf"] = {"iops": round(p["total"]["iops"], 1), "p50_us": round(p["total"]["latency_us"]["p50"], 1),
                          "cpu_us_per_io": round(p["cpu_us_per_io"], 1)}
    cpu = os.path.join(d, f"{label}.{job}.cpu")
    if os.path.exists(cpu):
        r.update(json.load(open(cpu)))
    return r


def summarize(d, command):
    """One boot's (or one round's) figures and its markdown lines."""
    # A boot may have run only some jobs (fio-suite.sh --jobs): keep those that ran.
    ran = [job for job in JOBS if any(os.path.exists(os.path.join(d, f"{l}.{job}.json")) for l in ("kernel", "nvmf-tgt"))]
    labels = [l for l in ("kernel", "nvmf-tgt") if ran and os.path.exists(os.path.join(d, f"{l}.{ran[0]}.json"))]
    res = {"command": command, "kernel_release": open(os.path.join(d, "kernel-release")).read().strip(),
           "guest_cpus": int(open(os.path.join(d, "guest-cpus")).read()), "targets": {}}
    for l in labels:
        res["targets"][l] = {job: load(d, l, job) for job in ran}
        v = os.path.join(d, f"{l}.verify-crc32c.json")
        res["targets"][l]["verify-crc32c"] = "passed" if os.path.exists(v) else "not run"
    idle = os.path.join(d, "nvmf-tgt.idle.cpu")
    if os.path.exists(idle):
        res["nvmf_tgt_idle"] = json.load(open(idle))
    shape = os.path.join(d, "lab-shape")
    if os.path.exists(shape):
        desc = open(shape).read().strip() + "."
    else:
        desc = f"Guest kernel {res['kernel_release']}, {res['guest_cpus']} vCPUs (TCG), rxe on eth0, backing device brd /dev/ram0 (512 MiB)."
    lines = [f"Command: `{command}`", "", desc, ""]
    head = "| job | " + " | ".join(f"{l} IOPS | {l} MiB/s | {l} p50 µs | {l} p99 µs | {l} guest CPU %" for l in labels)
    if len(labels) == 2:
        head += " | IOPS ratio ours/kernel | p50 ratio ours/kernel"
    lines += [head + " |", "|" + "---|" * (1 + 5 * len(labels) + (2 if len(labels) == 2 else 0))]
    for job in ran:
        row = [job]
        for l in labels:
            r = res["targets"][l][job]
            row += [f"{r['iops']:.0f}", f"{r['bw_mib_s']:.1f}", f"{r['clat_p50_us']:.0f}", f"{r['clat_p99_us']:.0f}",
                    f"{r.get('guest_cpu_busy_pct', 0):.0f}"]
        if len(labels) == 2:
            a, b = res["targets"]["nvmf-tgt"][job], res["targets"]["kernel"][job]
            row += [f"{a['iops'] / b['iops']:.2f}", f"{a['clat_p50_us'] / b['clat_p50_us']:.2f}" if b["clat_p50_us"] else "-"]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    # The second initiator: the same jobs through nvmf-perf, when the boot ran it.
    if any(res["targets"][l][job] and "nvmf_perf" in res["targets"][l][job] for l in labels for job in ran):
        head = "| job (through nvmf-perf) | " + " | ".join(f"{l} IOPS | {l} p50 µs | {l} ÷ fio" for l in labels)
        if len(labels) == 2:
            head += " | IOPS ratio ours/kernel"
        lines += [head + " |", "|" + "---|" * (1 + 3 * len(labels) + (1 if len(labels) == 2 else 0))]
        for job in ran:
            row = [job]
            for l in labels:
                r = res["targets"][l][job]
                p = r.get("nvmf_perf") if r else None
                row += [f"{p['iops']:.0f}", f"{p['p50_us']:.0f}", f"{p['iops'] / r['iops']:.2f}"] if p else ["-", "-", "-"]
            if len(labels) == 2:
                a = (res["targets"]["nvmf-tgt"][job] or {}).get("nvmf_perf")
                b = (res["targets"]["kernel"][job] or {}).get("nvmf_perf")
                row.append(f"{a['iops'] / b['iops']:.2f}" if a and b and b["iops"] else "-")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    for l in labels:
        lines.append(f"- {l}: crc32c write+verify {res['targets'][l]['verify-crc32c']}")
    if "nvmf_tgt_idle" in res:
        lines.append(f"- nvmf-tgt idle CPU: {res['nvmf_tgt_idle']['idle_cpu_pct_of_one_vcpu']:.2f} % of one vCPU")
    return res, lines


def ratios(res):
    """Per job (IOPS ratio, p50 ratio) ours/kernel, when both targets ran."""
    t = res["targets"]
    if "kernel" not in t or "nvmf-tgt" not in t:
        return {}
    out = {}
    for job, a in t["nvmf-tgt"].items():
        b = t["kernel"].get(job)
        if isinstance(a, dict) and isinstance(b, dict) and b["iops"]:
            out[job] = (a["iops"] / b["iops"], a["clat_p50_us"] / b["clat_p50_us"] if b["clat_p50_us"] else None)
    return out


def main():
    d, prefix, command = sys.argv[1], sys.argv[2], sys.argv[3]
    rounds = sorted((x for x in os.listdir(d) if x[0] == "r" and x[1:].isdigit()), key=lambda x: int(x[1:]))
    if not rounds:
        res, lines = summarize(d, command)
    else:
        res = {"command": command, "rounds": []}
        lines = []
        per_job = {}
        for r in rounds:
            rr, rl = summarize(os.path.join(d, r), command)
            res["rounds"].append(rr)
            lines += [f"### Round {r[1:]}", ""] + rl[2:] + [""]
            for job, v in ratios(rr).items():
                per_job.setdefault(job, []).append(v)
        lines = [f"Command: `{command}`", ""] + lines
        if per_job:
            lines += [f"### Median over {len(rounds)} rounds (ours / kernel, each round against its own kernel run)", "",
                      "| job | IOPS ratio per round | median | p50 ratio per round | median |", "|---|---|---|---|---|"]
            for job in JOBS:
                if job not in per_job:
                    continue
                iops = [v[0] for v in per_job[job]]
                p50 = [v[1] for v in per_job[job] if v[1] is not None]
                p50_cells = f"{', '.join(f'{x:.2f}' for x in p50)} | **{statistics.median(p50):.2f}**" if p50 else "- | -"
                lines.append(f"| {job} | {', '.join(f'{x:.2f}' for x in iops)} | **{statistics.median(iops):.2f}** | {p50_cells} |")
            idle = [rr["nvmf_tgt_idle"]["idle_cpu_pct_of_one_vcpu"] for rr in res["rounds"] if "nvmf_tgt_idle" in rr]
            if idle:
                lines.append(f"\n- nvmf-tgt idle CPU per round: {', '.join(f'{x:.2f}' for x in idle)} % of one vCPU")
    with open(prefix + ".json", "w") as f:
        json.dump(res, f, indent=2)
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


main()
