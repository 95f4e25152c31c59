"""Start-up cost: what `import _tls_bootstrap` and `monkeypatch_ssl()` add
to a fresh interpreter, against what `import ssl` adds, on every CPython
we support (bench/README.md, "Start-up").

    bench/run --startup                       # all nine, envs in bench/.work
    python3 bench/startup.py --python PATH... # interpreters that already
                                              # have _tls_bootstrap installed

Each measurement is the CPU time (user + system, from wait4) of a fresh
`python -c CODE` process minus that of `python -c pass`, the median of
ROUNDS processes, the three kinds interleaved so that machine load hits
them alike.  `monkeypatch_ssl()` is timed inside the process (process CPU
time around the call).  Targets (issue 15): import _tls_bootstrap at most
1.2x import ssl, monkeypatch_ssl() under 1 ms.
"""
from __future__ import print_function

import argparse
import json
import os
import subprocess
import sys

ROUNDS = 21
IMPORT_RATIO_TARGET = 1.2
MONKEYPATCH_TARGET_MS = 1.0
VERSIONS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")

CODES = {
    "bare": "pass",
    "ssl": "import ssl",
    "tlsb": "import _tls_bootstrap",
}
# Time for monkeypatch_ssl() alone, printed by the child.
PATCH_CODE = (
    "import time, _tls_bootstrap\n"
    "clock = getattr(time, 'process_time', None) or time.clock\n"
    "t0 = clock(); _tls_bootstrap.monkeypatch_ssl(); t1 = clock()\n"
    "print(repr((t1 - t0) * 1000.0))\n")


def cpu_ms(python, code, env):
    """CPU milliseconds of one fresh `python -c code` (and its output)."""
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen([python, "-c", code], stdout=subprocess.PIPE,
                                   stderr=devnull, env=env)
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = status
    if status != 0:
        raise SystemExit("startup: %s -c %r failed" % (python, code))
    return (usage.ru_utime + usage.ru_stime) * 1000.0, out


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def measure(python, rounds=ROUNDS):
    env = dict(os.environ)
    # A user's first import compiles; the rounds measure the cached case.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for code in list(CODES.values()) + [PATCH_CODE]:
        cpu_ms(python, code, env)
    samples = dict((name, []) for name in CODES)
    patch = []
    for _ in range(rounds):
        for name, code in sorted(CODES.items()):
            samples[name].append(cpu_ms(python, code, env)[0])
        patch.append(float(cpu_ms(python, PATCH_CODE, env)[1].decode().strip()))
    bare = median(samples["bare"])
    ssl_ms = median(samples["ssl"]) - bare
    tlsb_ms = median(samples["tlsb"]) - bare
    version = subprocess.check_output(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]
    ).decode().strip()
    return {
        "python": version, "rounds": rounds, "bare_ms": round(bare, 2),
        "import_ssl_ms": round(ssl_ms, 2), "import_tlsb_ms": round(tlsb_ms, 2),
        "ratio": round(tlsb_ms / ssl_ms, 3) if ssl_ms > 0 else None,
        "monkeypatch_ms": round(median(patch), 3),
    }


def meets_targets(result):
    return (result["ratio"] is not None and
            result["ratio"] <= IMPORT_RATIO_TARGET and
            result["monkeypatch_ms"] < MONKEYPATCH_TARGET_MS)


def table(results):
    lines = ["| Python | bare (ms) | import ssl (ms) | import _tls_bootstrap (ms) "
             "| ratio (target <= %.1f) | monkeypatch_ssl() (ms, target < %g) |"
             % (IMPORT_RATIO_TARGET, MONKEYPATCH_TARGET_MS),
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append("| %s | %.1f | %.1f | %.1f | %s%s | %.3f |" % (
            r["python"], r["bare_ms"], r["import_ssl_ms"], r["import_tlsb_ms"],
            r["ratio"], "" if meets_targets(r) else " (missed)",
            r["monkeypatch_ms"]))
    return "\n".join(lines)


def environments():
    """bench/run.py's per-interpreter environments, _tls_bootstrap built
    from this tree (rebuilt when the source changed)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run
    if not os.path.isdir(run.WORK):
        os.makedirs(run.WORK)
    tools = run.tools_python(plot=False)
    pythons = []
    for version in VERSIONS:
        env = run.Environment("startup-" + version, version)
        env.prepare(tools)
        if env.error:
            print("startup: %s" % env.error, file=sys.stderr)
            continue
        pythons.append(env.python)
    return pythons


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", nargs="*", help="interpreters with "
                        "_tls_bootstrap installed (default: build bench envs)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    pythons = args.python or environments()
    results = []
    for python in pythons:
        result = measure(python, args.rounds)
        results.append(result)
        print(json.dumps(result, sort_keys=True), file=sys.stderr)
    print(table(results))
    if args.out:
        with open(args.out, "w") as out:
            json.dump(results, out, indent=1, sort_keys=True)
    return 0 if all(meets_targets(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
