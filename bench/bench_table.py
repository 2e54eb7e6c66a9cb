#!/usr/bin/env python3
"""Prints the ratio table of scripts/bench.sh from Google Benchmark JSON files (one per bench).

Every row compares a NoiseStudio measurement with a baseline measured in the same invocation
(same process, same machine state). Usage: bench_table.py <folder with bench_*.json>.
"""
import json, os, sys


def load(folder, name):
    path = os.path.join(folder, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        # "BM_X/256/real_time" -> "BM_X/256": the suffixes are measurement options, not arguments.
        key = "/".join(p for p in b["name"].split("/") if p not in ("real_time", "process_time", "manual_time")
                       and not p.startswith("min_time") and not p.startswith("iterations") and not p.startswith("threads"))
        if "/threads:" in b["name"]:
            key += "/threads:" + b["name"].split("/threads:")[1].split("/")[0]
        runs[key] = b
    return {"context": data.get("context", {}), "runs": runs}


def ms(b):
    unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    return b["real_time"] * unit


rows = []  # (area, case, NoiseStudio, baseline, ratio, meaning)


def add(area, case, ns_text, base_text, ratio, meaning):
    rows.append((area, case, ns_text, base_text, "—" if ratio is None else "%.3g" % ratio, meaning))


def main(folder):
    missing = []

    unet = load(folder, "bench_core_unet")
    if unet:
        r = unet["runs"]
        peak = r.get("BM_MatmulBaseline/1024")
        step, eager = r.get("BM_DdimStepCfg"), r.get("BM_EagerCfgStepBaseline")
        if step and eager:
            add("UNet", "DDIM step + CFG, 64² image", "%.1f ms" % ms(step), "%.1f ms eager LibTorch" % ms(eager),
                ms(step) / ms(eager), "time ÷ baseline (1 = no overhead)")
        if peak:
            for key, label in (("BM_UNetForward/1", "UNet forward, batch 1"), ("BM_UNetForward/2", "UNet forward, batch 2"),
                               ("BM_DdimStepCfg", "DDIM step + CFG"), ("BM_AutoencoderDecode/1", "AE decode, batch 1"),
                               ("BM_AutoencoderDecode/8", "AE decode, batch 8")):
                b = r.get(key)
                if b and "GFLOP/s" in b:
                    add("UNet", label + " FLOP rate", "%.1f GFLOP/s" % b["GFLOP/s"],
                        "%.1f GFLOP/s matmul 1024²" % peak["GFLOP/s"], b["GFLOP/s"] / peak["GFLOP/s"],
                        "fraction of the in-run matmul peak")
    else:
        missing.append("bench_core_unet")

    sd = load(folder, "bench_core_sd")
    if sd:
        r = sd["runs"]
        step, eager, peak = r.get("BM_SdUnetStepCfg512"), r.get("BM_SdUnetEagerBaseline"), r.get("BM_MatmulBaseline/2048")
        if step and eager:
            add("SD 1.5", "UNet step 512², batch 2 (CFG)", "%.1f s" % (ms(step) / 1e3),
                "%.1f s PyTorch eager (ldm)" % (ms(eager) / 1e3), ms(step) / ms(eager), "time ÷ baseline (goal ≤ 1.0)")
        elif step:
            add("SD 1.5", "UNet step 512², batch 2 (CFG)", "%.1f s" % (ms(step) / 1e3), "eager baseline not run (NS_LDM_DIR)",
                None, "")
        if step and peak and "GFLOP/s" in step:
            add("SD 1.5", "UNet step FLOP rate", "%.1f GFLOP/s" % step["GFLOP/s"], "%.1f GFLOP/s matmul 2048²" % peak["GFLOP/s"],
                step["GFLOP/s"] / peak["GFLOP/s"], "fraction of the in-run matmul peak")
        load_, read = r.get("BM_SdLoad"), r.get("BM_FileReadBaseline")
        if load_ and read:
            add("SD 1.5", "load a 2.1 GB F16 single file", "%.1f s" % (ms(load_) / 1e3), "%.2f s one read of the file" % (ms(read) / 1e3),
                ms(load_) / ms(read), "load ÷ read (warm cache)")
    else:
        missing.append("bench_core_sd")

    inv = load(folder, "bench_core_inversion")
    if inv:
        for key, label in (("BM_EditFriendlyForwardReverse/50", "edit-friendly invert+reverse, 50 steps"),
                           ("BM_DdimSample/50", "DDIM sample, 50 steps")):
            b = inv["runs"].get(key)
            if b:
                add("Inversion", label, "%.0f ms" % ms(b), "%.0f ms in the model" % b["model_ms"],
                    1 + b["overhead_pct"] / 100, "wall ÷ model time (goal ≤ 1.05)")
    else:
        missing.append("bench_core_inversion")

    warp = load(folder, "bench_core_warp")
    if warp:
        r = warp["runs"]
        for i in range(5):
            loops, aten = r.get("BM_WarpCpuLoops/%d" % i), r.get("BM_WarpAten/%d" % i)
            if not loops:
                continue
            size = loops.get("label", str(i))
            if aten:
                add("Warp", size, "%.2f ms/frame" % ms(loops), "%.2f ms/frame ATen ops" % ms(aten), ms(aten) / ms(loops),
                    "speed-up over the ATen formulation")
            add("Warp", size + " vs Python ref", "%.2f ms/frame" % ms(loops), "published ref (not this run)",
                loops["x_vs_ref"], "speed-up over noise_warp.py (fixed figures)")
    else:
        missing.append("bench_core_warp")

    sketch = load(folder, "bench_core_sketch")
    if sketch:
        for size in (64, 256, 512):
            b, base = sketch["runs"].get("BM_SketchRender/%d" % size), sketch["runs"].get("BM_BoxPainterBaseline/%d" % size)
            if b and base:
                add("Sketch", "render %d² (%.0f× real time)" % (size, b["x_realtime"]), "%.0f fps" % b["fps"],
                    "%.0f fps box painter" % base["fps"], b["fps"] / base["fps"], "fps ÷ baseline fps")
    else:
        missing.append("bench_core_sketch")

    scenes = load(folder, "bench_core_scenes")
    if scenes:
        for size in (64, 128, 256):
            b, base = scenes["runs"].get("BM_GenerateScene/%d" % size), scenes["runs"].get("BM_RandnBaseline/%d" % size)
            if b and base:
                add("Scenes", "shapes-world scene %d²" % size, "%.0f scenes/s" % b["scenes_per_s"],
                    "%.0f randn tensors/s" % base["tensors_per_s"], b["scenes_per_s"] / base["tensors_per_s"],
                    "rate ÷ baseline rate")
    else:
        missing.append("bench_core_scenes")

    prev = load(folder, "bench_ui_preview")
    if prev:
        r = prev["runs"]
        for kind, label in (("Rgb", "RGB frame"), ("RgbRedraw", "RGB redraw"), ("NoiseHeat", "noise heat map"),
                            ("FlowWheel", "flow wheel")):
            for size in (512, 1024):
                v, q = r.get("BM_Vulkan_%s/%d" % (kind, size)), r.get("BM_QPainter_%s/%d" % (kind, size))
                if v and q:
                    backend = v.get("label", "vulkan")
                    add("Preview", "%s %d² (%s)" % (label, size, backend),
                        "%.1f ms (CPU %.1f)" % (ms(v), v.get("proc_cpu_ms", 0)),
                        "%.1f ms (CPU %.1f) QPainter" % (ms(q), q.get("proc_cpu_ms", 0)), ms(v) / ms(q),
                        "frame time ÷ baseline (< 1 = faster)")
        for size in (512, 1024):
            sc, q = r.get("BM_VulkanSwapChain_Rgb/%d" % size), r.get("BM_QPainter_Rgb/%d" % size)
            if sc and q:
                add("Preview", "RGB frame %d² (%s)" % (size, sc.get("label", "vulkan swap chain")),
                    "%.1f ms (CPU %.1f)" % (ms(sc), sc.get("proc_cpu_ms", 0)),
                    "%.1f ms (CPU %.1f) QPainter" % (ms(q), q.get("proc_cpu_ms", 0)), ms(sc) / ms(q),
                    "frame time ÷ baseline (< 1 = faster)")
    else:
        missing.append("bench_ui_preview")

    video = load(folder, "bench_media_video")
    if video:
        r = video["runs"]
        for op in ("Decode", "Encode"):
            for size in (256, 512):
                b, base = r.get("BM_%sNoiseStudio/%d" % (op, size)), r.get("BM_%sOpenCvBaseline/%d" % (op, size))
                if b and base:
                    add("Video", "%s %d² mp4v" % (op.lower(), size), "%.0f fps" % b["fps"],
                        "%.0f fps raw OpenCV" % base["fps"], b["fps"] / base["fps"], "fps ÷ baseline fps")
    else:
        missing.append("bench_media_video")

    headers = ("area", "case", "NoiseStudio", "baseline (same run)", "ratio", "ratio means")
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    ctx = (unet or inv or warp or sketch or scenes or prev or video or {"context": {}})["context"]
    print("\nhost %s, %s CPUs @ %s MHz, load average %s, %s" % (
        ctx.get("host_name", "?"), ctx.get("num_cpus", "?"), ctx.get("mhz_per_cpu", "?"),
        " ".join("%.2f" % x for x in ctx.get("load_avg", [])) or "?", ctx.get("date", "?")))
    if missing:
        print("missing (not run or failed): " + ", ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
