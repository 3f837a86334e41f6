#!/usr/bin/env bash
# Side-by-side benchmarks: ddtrace, datadog-opentelemetry, opentelemetry-datadog and
# tracing-datadog on the same workloads, in one run. Prints one table (also written to
# benchmarks/target/bench-results/table.md) with the machine, the load and the versions.
#
#   bash scripts/bench.sh            # full run (about 10 minutes once built)
#   BENCH_MEASURE_SECS=1 bash scripts/bench.sh   # quicker, noisier
#   BENCH_SKIP_RUN=1 bash scripts/bench.sh       # only rebuild the table from the last run
#   BENCH_LIFECYCLE_REPEATS=0 bash scripts/bench.sh   # span lifecycle measured once, not 1 + 3 times
#
# The benchmark crate is its own workspace (benchmarks/), so the alternatives' dependencies
# never enter ddtrace's build; its first build takes several minutes.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/benchmarks"
out="target/bench-results"
measure="${BENCH_MEASURE_SECS:-3}"
warmup="${BENCH_WARMUP_SECS:-1}"
seconds="${BENCH_THROUGHPUT_SECS:-3}"
small_buffer="${BENCH_SMALL_BUFFER_BYTES:-1048576}"
lifecycle_repeats="${BENCH_LIFECYCLE_REPEATS:-3}"

# Every tracer is configured in code; DD_*/OTEL_* from the caller's shell would change some.
for v in $(env | grep -oE '^(DD|OTEL)_[A-Za-z0-9_]*' || true); do unset "$v"; done

if [ -z "${BENCH_SKIP_RUN:-}" ]; then
    nice -n 10 cargo bench --bench compare --no-run
    nice -n 10 cargo build --release --bin throughput
    rm -rf target/criterion "$out"
    mkdir -p "$out"
    uptime > "$out/load-before.txt"
    cargo bench --bench compare -- --warm-up-time "$warmup" --measurement-time "$measure" \
        --noplot 2>&1 | tee "$out/criterion.log"
    # The span-lifecycle row is the target's row, and it moves between runs on a shared VM
    # (the tracers' background threads compete for the second core): it is measured again
    # after the full run, and the table gives the median and the range of every run.
    save_lifecycle() {
        mkdir -p "$out/span_lifecycle/$1"
        for d in target/criterion/span_lifecycle/*/; do
            if [ -f "$d/new/estimates.json" ]; then
                cp "$d/new/estimates.json" "$out/span_lifecycle/$1/$(basename "$d").json"
            fi
        done
    }
    save_lifecycle 0
    for i in $(seq 1 "$lifecycle_repeats"); do
        cargo bench --bench compare -- --warm-up-time "$warmup" --measurement-time "$measure" \
            --noplot '^span_lifecycle/' 2>&1 | tee -a "$out/criterion-span-lifecycle.log"
        save_lifecycle "$i"
    done
    for t in ddtrace datadog-opentelemetry opentelemetry-datadog tracing-datadog; do
        target/release/throughput "$t" --seconds "$seconds" | tee "$out/throughput-$t.json"
    done
    target/release/throughput ddtrace --seconds "$seconds" --buffer-bytes "$small_buffer" \
        | tee "$out/throughput-ddtrace-small-buffer.json"
    # Not a default: the default payload size equals the buffer size, so the writer only
    # sends on its 1 s timer. This run shows what it delivers when it wakes on a 2 MiB payload.
    target/release/throughput ddtrace --seconds "$seconds" --max-payload-bytes 2097152 \
        | tee "$out/throughput-ddtrace-2mib-payload.json"
    # Memory bound with the writer busy: small buffer, payloads small enough to wake it.
    target/release/throughput ddtrace --seconds "$seconds" --buffer-bytes "$small_buffer" \
        --max-payload-bytes 262144 | tee "$out/throughput-ddtrace-small-buffer-256k-payload.json"
    uptime > "$out/load-after.txt"
fi

python3 - "$out" <<'EOF'
import json, os, re, subprocess, sys

out = sys.argv[1]
tracers = ["ddtrace", "datadog-opentelemetry", "opentelemetry-datadog", "tracing-datadog"]
alts = tracers[1:]

# Why an alternative has no figure for a workload.
na = {
    ("sampling_decision", "datadog-opentelemetry"): "its sampler is public only behind the test-utils feature",
    ("sampling_decision", "tracing-datadog"): "no sampler: every trace is kept (priority 2)",
    ("b3", "opentelemetry-datadog"): "B3 needs another crate (opentelemetry-zipkin)",
    ("b3multi", "opentelemetry-datadog"): "B3 needs another crate (opentelemetry-zipkin)",
    ("b3", "tracing-datadog"): "only datadog and tracecontext headers",
    ("b3multi", "tracing-datadog"): "only datadog and tracecontext headers",
    ("baggage", "tracing-datadog"): "only datadog and tracecontext headers",
    ("encode", "opentelemetry-datadog"): "its encoder is pub(crate); its cost is inside the end-to-end rows",
    ("encode", "tracing-datadog"): "its encoder is private, and it has no v0.5; its cost is inside the end-to-end rows",
}
notes = {}

def reason(workload, tracer):
    for (w, t), r in na.items():
        if (w == workload or workload.endswith("_" + w) or workload.startswith(w)) and t in (tracer, "*"):
            return r
    return "no equivalent"

def estimate(group, tracer):
    p = os.path.join("target/criterion", group, tracer, "new/estimates.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        e = json.load(f)
    # The figure criterion prints: the slope of its linear sampling, or the mean.
    return (e.get("slope") or e["mean"])["point_estimate"]  # ns

def fmt_ns(ns):
    if ns >= 1e6: return f"{ns/1e6:.2f} ms"
    if ns >= 1e3: return f"{ns/1e3:.2f} µs"
    return f"{ns:.1f} ns"

def fmt_rate(r):
    return f"{r/1e6:.2f} M/s" if r >= 1e6 else f"{r/1e3:.0f} k/s"

rows = []
def time_row(label, group):
    vals = {t: estimate(group, t) for t in tracers}
    if vals["ddtrace"] is None:
        return
    cells, ratios = [], []
    for t in tracers:
        v = vals[t]
        if v is None:
            r = reason(group, t)
            key = notes.setdefault(r, len(notes) + 1)
            cells.append(f"n/a [{key}]")
        else:
            cells.append(fmt_ns(v))
    for t in alts:
        v = vals[t]
        ratios.append("" if v is None else f"{v / vals['ddtrace']:.1f}x")
    rows.append([label] + cells + ratios)

def lifecycle_runs():
    """Per tracer, the span-lifecycle estimate of every run saved by the script."""
    base = os.path.join(out, "span_lifecycle")
    runs = {t: [] for t in tracers}
    if not os.path.isdir(base):
        return runs
    for run in sorted(os.listdir(base), key=int):
        for t in tracers:
            p = os.path.join(base, run, f"{t}.json")
            if os.path.exists(p):
                with open(p) as f:
                    e = json.load(f)
                runs[t].append((e.get("slope") or e["mean"])["point_estimate"])
    return runs

def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

runs = lifecycle_runs()
if len(runs["ddtrace"]) > 1:
    n = len(runs["ddtrace"])
    cells = [fmt_ns(median(runs[t])) if runs[t] else "" for t in tracers]
    ratios = [f"{median(runs[t]) / median(runs['ddtrace']):.1f}x" if runs[t] else "" for t in alts]
    rows.append([f"span lifecycle: root + 9 children, tags (per trace; median of {n} runs)"] + cells + ratios)
else:
    time_row("span lifecycle: root + 9 children, tags (per trace)", "span_lifecycle")
time_row("nested async spans: 10 spans, 3 levels, awaits", "nested_async")
time_row("sampling decision (per root)", "sampling_decision")
for style in ["datadog", "tracecontext", "b3multi", "b3", "baggage"]:
    time_row(f"inject {style}", f"inject_{style}")
    time_row(f"extract {style}", f"extract_{style}")
time_row("encode v0.4: 100 traces x 10 spans", "encode_v04")
time_row("encode v0.5: 100 traces x 10 spans", "encode_v05")
time_row("tower layer: one request, body read", "tower_request")

def load(name):
    p = os.path.join(out, f"throughput-{name}.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.loads(f.read().strip().splitlines()[-1])

tp = {t: load(t) for t in tracers}
if tp["ddtrace"]:
    def rate_row(label, key):
        cells, ratios = [], []
        for t in tracers:
            d = tp[t]
            cells.append("" if d is None else fmt_rate(d[key]))
        for t in alts:
            d = tp[t]
            ratios.append("" if d is None or d[key] == 0 else f"{tp['ddtrace'][key] / d[key]:.1f}x")
        rows.append([label] + cells + ratios)
    rate_row("end-to-end: spans/s made (one thread)", "spans_per_sec_made")
    rate_row("end-to-end: spans/s delivered to the sink", "spans_per_sec_delivered")
    rows.append(["end-to-end: spans dropped / made"] +
                ["" if tp[t] is None else f"{tp[t]['spans_dropped']:,} / {tp[t]['spans_made']:,}" for t in tracers] +
                ["", "", ""])
    rows.append(["end-to-end: peak RSS (VmHWM), default buffers"] +
                ["" if tp[t] is None else f"{tp[t]['peak_rss_kib']/1024:.0f} MiB" for t in tracers] +
                ["", "", ""])

header = ["workload", "ddtrace"] + alts + [f"ratio {a}" for a in alts]
lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
lines += ["| " + " | ".join(r) + " |" for r in rows]
table = "\n".join(lines)
print()
print(table)
print()
print("Times are criterion's estimate per iteration (slope, else mean); ratio = alternative / ddtrace for times and")
print("ddtrace / alternative for rates, so above 1x means ddtrace is faster.")
for r, k in sorted(notes.items(), key=lambda kv: kv[1]):
    print(f"[{k}] n/a: {r}")

if len(runs["ddtrace"]) > 1:
    print()
    print(f"span lifecycle, {len(runs['ddtrace'])} runs (the full run, then the row alone):")
    for t in tracers:
        if runs[t]:
            print(f"  {t}: " + ", ".join(fmt_ns(v) for v in runs[t]))
    for t in alts:
        if len(runs[t]) == len(runs["ddtrace"]):
            rs = [a / d for a, d in zip(runs[t], runs["ddtrace"])]
            print(f"  ratio {t} / ddtrace, run by run: " + ", ".join(f"{r:.2f}x" for r in rs))

small = load("ddtrace-small-buffer")
if small:
    print()
    print(f"ddtrace with a {small['buffer_bytes']:,}-byte buffer: {fmt_rate(small['spans_per_sec_made'])} made, "
          f"{fmt_rate(small['spans_per_sec_delivered'])} delivered, {small['spans_dropped']:,} of "
          f"{small['spans_made']:,} spans dropped ({small['traces_dropped_counted_by_tracer']:,} traces counted by the writer), "
          f"RSS {small['rss_before_kib']/1024:.1f} MiB before the load, peak {small['peak_rss_kib']/1024:.1f} MiB.")
p2 = load("ddtrace-2mib-payload")
if p2:
    print(f"ddtrace with DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES=2 MiB (not the default): "
          f"{fmt_rate(p2['spans_per_sec_made'])} made, {fmt_rate(p2['spans_per_sec_delivered'])} delivered, "
          f"{p2['spans_dropped']:,} of {p2['spans_made']:,} spans dropped, peak RSS {p2['peak_rss_kib']/1024:.1f} MiB "
          f"(before the load {p2['rss_before_kib']/1024:.1f} MiB).")
p3 = load("ddtrace-small-buffer-256k-payload")
if p3:
    print(f"ddtrace with a {p3['buffer_bytes']:,}-byte buffer and 256 KiB payloads (writer busy): "
          f"{fmt_rate(p3['spans_per_sec_made'])} made, {fmt_rate(p3['spans_per_sec_delivered'])} delivered, "
          f"{p3['spans_dropped']:,} of {p3['spans_made']:,} spans dropped, RSS {p3['rss_before_kib']/1024:.1f} MiB "
          f"before the load, peak {p3['peak_rss_kib']/1024:.1f} MiB.")
d = tp["ddtrace"]
if d:
    print(f"ddtrace with the default 20 MiB buffer: peak RSS {d['peak_rss_kib']/1024:.1f} MiB "
          f"(before the load {d['rss_before_kib']/1024:.1f} MiB); writer counted "
          f"{d['traces_dropped_counted_by_tracer']} dropped traces.")
bare = estimate("tower_request", "bare service")
if bare is not None:
    print(f"tower: the bare service (no layer) takes {fmt_ns(bare)} per request.")

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""

print()
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
mem = sh("grep MemTotal /proc/meminfo | awk '{printf \"%.1f GiB\", $2/1048576}'")
print(f"Machine: {sh('nproc')} CPUs, {cpu}, {mem} RAM; {sh('rustc --version')}")
for f in ["load-before.txt", "load-after.txt"]:
    p = os.path.join(out, f)
    if os.path.exists(p):
        print(f"{f[:-4]}: {open(p).read().strip()}")
vers = sh("cargo tree --depth 1 -e normal --prefix none 2>/dev/null | grep -E '^(datadog-opentelemetry|opentelemetry-datadog|tracing-datadog|opentelemetry|opentelemetry_sdk|tracing-opentelemetry|tracing|tower-http|criterion) ' | sort -u | tr '\\n' ';'")
print(f"Versions: {vers}")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "table.md"), "w") as f:
    f.write(table + "\n")
EOF
