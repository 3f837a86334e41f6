"""Checks what the examples sent to the test agent: called by scripts/test.sh.

usage: check_examples.py AGENT_URL TOKEN
Fails (exit 1) unless the session holds a trace that spans the shop and inventory services,
the quickstart's checkout spans, and no test-agent check failed.
"""
import json
import sys
import time
import urllib.error
import urllib.request

url, token = sys.argv[1], sys.argv[2]


def get(path):
    try:
        with urllib.request.urlopen(f"{url}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


deadline = time.time() + 15
while True:
    status, body = get(f"/test/session/traces?test_session_token={token}")
    traces = json.loads(body) if status == 200 else []
    spans = [s for t in traces for s in t]
    services_by_trace = {}
    for s in spans:
        services_by_trace.setdefault(s["trace_id"], set()).add(s["service"])
    distributed = [t for t, svcs in services_by_trace.items() if {"shop", "inventory"} <= svcs]
    quickstart = [s for s in spans if s["name"] == "checkout.process"]
    if (distributed and quickstart) or time.time() > deadline:
        break
    time.sleep(0.2)

problems = []
if not distributed:
    problems.append(f"no trace spans both shop and inventory: {services_by_trace}")
if len(quickstart) != 2:
    problems.append(f"expected the quickstart's 2 checkout.process spans, got {len(quickstart)}")
status, body = get(f"/test/trace_check/failures?test_session_token={token}")
if status != 200:
    problems.append(f"test agent checks failed: {body[:2000]}")
if problems:
    print("examples check FAILED:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"examples: {len(traces)} traces, {len(distributed)} distributed across shop and inventory; checks passed")
