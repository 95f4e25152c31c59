"""The benchmark: _tls_bootstrap against the stdlib ssl, pyOpenSSL and a C
program driving OpenSSL directly, in one interleaved run.

    bench/run                       full run; writes bench/results/
    bench/run --smoke               seconds: every stack runs once, tiny counts
    bench/run --rounds 3 --stacks c,stdlib-3.13 --workloads w1-tls13,w2
    bench/run --instructions        instructions per operation (callgrind)

It builds what it measures in a work directory (bench/.work, or
$TLSB_BENCH_WORK): test certificates, the C program (bench/c/tls_limit.c),
one environment per interpreter and OpenSSL build with _tls_bootstrap
installed from this tree and pyOpenSSL, and a tools environment
(virtualenv, matplotlib).  Every worker process gets OPENSSL_CONF =
bench/openssl-bench.cnf, which pins the TLS 1.3 suite and group; the run
fails if any stack negotiated something else or did not verify.

Runs on Python 2.7 and 3.x (bench/run picks python3).  See bench/README.md.
"""
from __future__ import division, print_function

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
# What _tls_bootstrap is built from: this tree, or another (--source: a
# proposed change measured against the same stacks; use its own
# TLSB_BENCH_WORK so that the environments do not flip back and forth).
SOURCE = ROOT
WORK = os.environ.get("TLSB_BENCH_WORK") or os.path.join(BENCH, ".work")
RESULTS = os.path.join(BENCH, "results")
CONF = os.path.join(BENCH, "openssl-bench.cnf")
WORKER = os.path.join(BENCH, "worker.py")
MIB = 1 << 20

WORKLOADS = ["w1-tls13", "w1-tls12", "w2", "w3", "w4", "mem", "threads", "import"]
COUNTS = {
    "full": {"w1-tls13": 2000, "w1-tls12": 1000, "w2": 256 * MIB, "w3": 200000,
             "w4": 256 * MIB, "mem": 1000, "threads": 1000, "import": 20},
    "smoke": {"w1-tls13": 20, "w1-tls12": 10, "w2": 4 * MIB, "w3": 2000,
              "w4": 4 * MIB, "mem": 50, "threads": 10, "import": 2},
}
# Workloads whose value is not a rate to divide by C's: they have tables
# of their own (threads: the 2-thread/1-thread handshake rate, whose
# target is THREADS_TARGET; C's own value is OpenSSL's limit).
OWN_TABLE = ("threads", "import")
THREADS_TARGET = 1.7
# What every stack must negotiate (the group and the TLS 1.3 suite are
# pinned by CONF, the TLS 1.2 suite by each API's cipher setting).
EXPECTED = {
    "w1-tls12": ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "X25519"),
    None: ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "X25519"),
}
# Targets of issue 8, as ratios to the C program in the same run
# (memory: stack / C, at most; the others: stack / C, at least).
TARGETS = {"w1-tls13": 0.97, "w1-tls12": 0.98, "w2": 0.94, "w3": 0.80, "w4": 0.95,
           "mem": 1.05}
TARGETS_PY2 = {"w3": 0.72}

OPENSSL_111 = "1.1.1w"
OPENSSL_3 = "3.5.6"
PYOPENSSL_PY2 = "pyOpenSSL==21.0.0"


def log(message):
    sys.stderr.write("bench: %s\n" % message)
    sys.stderr.flush()


def run(command, quiet=False, **kwargs):
    log("$ " + " ".join(command))
    if quiet:
        kwargs["stdout"] = kwargs["stderr"] = open(os.devnull, "w")
    subprocess.check_call(command, **kwargs)


def output(command, **kwargs):
    return subprocess.check_output(command, **kwargs).decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# What is measured: interpreters, environments, the C program, certificates
# ---------------------------------------------------------------------------
def find_interpreter(version):
    """Path of CPython `version` ("3.13") on PATH or under pyenv, or None."""
    candidates = [os.path.join(d, "python" + version)
                  for d in os.environ.get("PATH", "").split(os.pathsep)]
    versions = os.path.join(os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")),
                            "versions")
    if os.path.isdir(versions):
        for name in sorted(os.listdir(versions), reverse=True):
            if name == version or name.startswith(version + "."):
                candidates.append(os.path.join(versions, name, "bin", "python" + version))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            try:
                found = output([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               stderr=open(os.devnull, "w"))
            except (OSError, subprocess.CalledProcessError):
                continue
            if found.strip() == version:
                return path
    return None


def tools_python(plot):
    """A Python 3 environment with virtualenv (for 2.7 environments) and,
    for plots, matplotlib."""
    venv = os.path.join(WORK, "tools")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        base = find_interpreter("3.11") or find_interpreter("3.13") or "python3"
        run([base, "-m", "venv", venv])
        run([python, "-m", "pip", "install", "-q", "virtualenv==20.21.1"])
    if plot:
        try:
            subprocess.check_call([python, "-c", "import matplotlib"],
                                  stderr=open(os.devnull, "w"))
        except subprocess.CalledProcessError:
            run([python, "-m", "pip", "install", "-q", "matplotlib"])
    return python


def source_digest():
    """Hash of what `pip install .` builds from, to reinstall on change."""
    digest = hashlib.sha256()
    for top in _lib_files() + ["Lib/_tls_bootstrap-stubs", "Modules", "setup.py",
                                "tools/gen_error_names.py"]:
        path = os.path.join(SOURCE, top)
        files = [path] if os.path.isfile(path) else sorted(
            os.path.join(d, f) for d, _, names in os.walk(path) for f in names)
        for name in files:
            digest.update(name[len(SOURCE):].encode())
            with open(name, "rb") as source:
                digest.update(source.read())
    return digest.hexdigest()


def _lib_files():
    """Lib's modules (setup.py's py_modules), relative to the tree."""
    return sorted("Lib/" + name for name in os.listdir(os.path.join(SOURCE, "Lib"))
                  if name.endswith(".py"))


def copy_source(destination):
    """A private copy of the tree to build from: pip builds in the source
    directory, and each environment builds a different variant."""
    if os.path.exists(destination):
        shutil.rmtree(destination)
    os.makedirs(destination)
    for name in ("setup.py", "pyproject.toml", "README.md", "MANIFEST.in", "LICENSE"):
        shutil.copy(os.path.join(SOURCE, name), destination)
    os.makedirs(os.path.join(destination, "Lib"))
    for name in _lib_files():
        shutil.copy(os.path.join(SOURCE, name), os.path.join(destination, "Lib"))
    shutil.copytree(os.path.join(SOURCE, "Lib", "_tls_bootstrap-stubs"),
                    os.path.join(destination, "Lib", "_tls_bootstrap-stubs"))
    os.makedirs(os.path.join(destination, "tools"))
    shutil.copy(os.path.join(SOURCE, "tools", "gen_error_names.py"),
                os.path.join(destination, "tools"))
    shutil.copytree(os.path.join(SOURCE, "Modules"), os.path.join(destination, "Modules"))


class Environment(object):
    """A virtual environment of one interpreter with _tls_bootstrap built
    against one OpenSSL (system, or a static prefix) and, optionally,
    pyOpenSSL."""

    def __init__(self, name, version, openssl_prefix=None, pyopenssl=None):
        self.name = name
        self.version = version
        self.openssl_prefix = openssl_prefix
        self.pyopenssl = pyopenssl
        self.path = os.path.join(WORK, "env-" + name)
        self.python = os.path.join(self.path, "bin", "python")
        self.error = None

    def prepare(self, tools):
        base = find_interpreter(self.version)
        if base is None:
            self.error = "CPython %s not found" % self.version
            return
        if not os.path.exists(self.python):
            if self.version.startswith("2."):
                # The seed packages virtualenv embeds for this interpreter:
                # its periodic update may have recorded a pip too new for it.
                run([tools, "-m", "virtualenv", "-q", "--no-periodic-update",
                     "--pip", "embed", "--setuptools", "embed", "--wheel", "embed",
                     "-p", base, self.path])
            else:
                run([base, "-m", "venv", self.path])
            if self.pyopenssl:
                run([self.python, "-m", "pip", "install", "-q", self.pyopenssl])
        stamp = os.path.join(self.path, "tlsb-source.sha256")
        wanted = source_digest() + repr(self.openssl_prefix)
        if os.path.exists(stamp) and open(stamp).read() == wanted:
            return
        source = os.path.join(WORK, "src-" + self.name)
        copy_source(source)
        env = dict(os.environ)
        # Warnings are the test matrix's business (TLSB_WERROR there); here
        # a newer OpenSSL's deprecations must not stop the measurement.
        for name in ("OPENSSL_DIR", "OPENSSL_STATIC", "TLSB_WERROR"):
            env.pop(name, None)
        if self.openssl_prefix:
            env.update(OPENSSL_DIR=self.openssl_prefix, OPENSSL_STATIC="1")
        run([self.python, "-m", "pip", "install", "-q", "--no-deps",
             "--force-reinstall", source], env=env)
        with open(stamp, "w") as out:
            out.write(wanted)


def openssl_prefix(version, build):
    """The private static OpenSSL prefix (tools/fetch-openssl111 or
    tools/build-openssl-static), made if `build`; None if absent."""
    if version.startswith("1.1.1"):
        script, prefix = "fetch-openssl111", os.path.join(ROOT, ".openssl", version)
        args = [prefix]
    else:
        script, prefix = "build-openssl-static", os.path.join(ROOT, ".openssl",
                                                              version + "-static")
        args = [version, prefix]
    if not os.path.exists(os.path.join(prefix, ".complete")):
        if not build:
            return None
        run([os.path.join(ROOT, "tools", script)] + args)
    return prefix


def build_c(name, prefix=None):
    """bench/c/tls_limit.c, against the system OpenSSL or a static prefix."""
    source = os.path.join(BENCH, "c", "tls_limit.c")
    binary = os.path.join(WORK, "tls_limit-" + name)
    if os.path.exists(binary) and os.path.getmtime(binary) > os.path.getmtime(source):
        return binary
    command = ["cc", "-O2", "-Wall", "-o", binary, source]
    if prefix is None:
        command += ["-lssl", "-lcrypto", "-pthread"]
    else:
        libdir = [d for d in (os.path.join(prefix, "lib", "x86_64-linux-gnu"),
                              os.path.join(prefix, "lib"))
                  if os.path.exists(os.path.join(d, "libssl.a"))][0]
        command[1:1] = ["-I" + d for d in (os.path.join(prefix, "include", "x86_64-linux-gnu"),
                                           os.path.join(prefix, "include"))
                        if os.path.isdir(d)]
        command += [os.path.join(libdir, "libssl.a"), os.path.join(libdir, "libcrypto.a"),
                    "-ldl", "-pthread"]
    run(command)
    return binary


CERT_EXTENSIONS = """\
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def make_certificates():
    """A CA and a server certificate for localhost, twice: ECDSA P-256
    (TLS 1.3 workloads) and RSA-2048 (TLS 1.2)."""
    certdir = os.path.join(WORK, "certs")
    if os.path.exists(os.path.join(certdir, "server-rsa.pem")):
        return certdir
    if not os.path.isdir(certdir):
        os.makedirs(certdir)
    extensions = os.path.join(certdir, "extensions.cnf")
    with open(extensions, "w") as out:
        out.write(CERT_EXTENSIONS)
    for kind, keyopts in (("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                          ("rsa", ["-newkey", "rsa:2048"])):
        path = lambda name: os.path.join(certdir, name % kind)
        run(["openssl", "req", "-new"] + keyopts + [
            "-nodes", "-keyout", path("ca-%s.key"), "-out", path("ca-%s.csr"),
            "-subj", "/CN=_tls_bootstrap bench CA (%s)" % kind], quiet=True)
        run(["openssl", "x509", "-req", "-in", path("ca-%s.csr"), "-signkey",
             path("ca-%s.key"), "-days", "3650", "-sha256", "-extfile", extensions,
             "-extensions", "ca", "-out", path("ca-%s.pem")], quiet=True)
        run(["openssl", "req", "-new"] + keyopts + [
            "-nodes", "-keyout", path("server-%s.key"), "-out", path("server-%s.csr"),
            "-subj", "/CN=localhost"], quiet=True)
        run(["openssl", "x509", "-req", "-in", path("server-%s.csr"), "-CA",
             path("ca-%s.pem"), "-CAkey", path("ca-%s.key"), "-set_serial", "2",
             "-days", "3650", "-sha256", "-extfile", extensions, "-extensions", "leaf",
             "-out", path("server-%s.pem")], quiet=True)
    return certdir


# ---------------------------------------------------------------------------
# Stacks
# ---------------------------------------------------------------------------
class Stack(object):
    """One column of the results: a command that runs a workload."""

    def __init__(self, name, label, group, command=None, env=None, api=None,
                 workloads=None, python2=False, reference="c"):
        self.name = name
        # The C stack on the same OpenSSL (or the nearest one we can build,
        # for pyOpenSSL's bundled copies): ratios are taken to it.
        self.reference = reference
        self.label = label          # what it is, for the table
        self.group = group          # "main" or "openssl" (other OpenSSL builds)
        self.command = command      # C: the binary
        self.env = env              # Python: an Environment or an interpreter path
        self.api = api
        self.workloads = workloads or [w for w in WORKLOADS if w != "import"]
        self.python2 = python2
        self.error = None

    def python(self):
        return self.env.python if isinstance(self.env, Environment) else self.env

    def argv(self, workload, certdir, count):
        if self.command:
            return [self.command, workload, certdir, str(count)]
        return [self.python(), WORKER, self.api, workload, certdir, str(count)]


def define_stacks(args):
    """Every stack this machine can run (a missing interpreter or OpenSSL
    prefix leaves the stack with an error, reported and, in smoke mode,
    fatal)."""
    environments = {
        "py27": Environment("py27", "2.7", pyopenssl=PYOPENSSL_PY2),
        "py313": Environment("py313", "3.13", pyopenssl="pyOpenSSL"),
    }
    prefixes = {}
    for version in (OPENSSL_111, OPENSSL_3):
        # 1.1.1w is a download; 3.x a build of minutes: full runs make it,
        # smoke runs use it when it is there.
        build = args.build_openssl or version == OPENSSL_111 or not args.smoke
        prefixes[version] = openssl_prefix(version, build)
        if prefixes[version] is None:
            log("no static OpenSSL %s: its stacks are left out (--build-openssl)" % version)
        if prefixes[version]:
            environments["py313-" + version] = Environment(
                "py313-static-" + version, "3.13", openssl_prefix=prefixes[version])

    stacks = [Stack("c", "C, system libssl", "main", command=build_c("system"))]
    stacks += [
        Stack("tlsb-2.7", "_tls_bootstrap on 2.7", "main", env=environments["py27"],
              api="tlsb", workloads=WORKLOADS, python2=True),
        Stack("tlsb-3.13", "_tls_bootstrap on 3.13", "main", env=environments["py313"],
              api="tlsb", workloads=WORKLOADS),
    ]
    for version in ("3.11", "3.13"):
        stack = Stack("stdlib-" + version, "ssl of %s" % version, "main",
                      env=find_interpreter(version), api="stdlib")
        if stack.env is None:
            stack.error = "CPython %s not found" % version
        stacks.append(stack)
    stacks += [
        Stack("pyopenssl-2.7", "pyOpenSSL 21.0.0 on 2.7, cryptography's bundled OpenSSL",
              "main", env=environments["py27"], api="pyopenssl", python2=True,
              reference="c+" + OPENSSL_111),
        Stack("pyopenssl-3.13", "pyOpenSSL on 3.13, cryptography's bundled OpenSSL",
              "main", env=environments["py313"], api="pyopenssl",
              reference="c+" + OPENSSL_3),
        # pyOpenSSL's API on the interpreter's OpenSSL (issue 17)
        Stack("tlsb-pyopenssl-2.7", "pyOpenSSL API of _tls_bootstrap on 2.7",
              "main", env=environments["py27"], api="tlsb-pyopenssl", python2=True),
        Stack("tlsb-pyopenssl-3.13", "pyOpenSSL API of _tls_bootstrap on 3.13",
              "main", env=environments["py313"], api="tlsb-pyopenssl"),
    ]
    for version in (OPENSSL_111, OPENSSL_3):
        prefix = prefixes[version]
        if prefix is None:
            continue
        c = Stack("c+" + version, "C, static OpenSSL %s" % version, "openssl",
                  reference="c+" + version)
        tlsb = Stack("tlsb-3.13+" + version,
                     "_tls_bootstrap on 3.13, static OpenSSL %s" % version, "openssl",
                     env=environments.get("py313-" + version), api="tlsb",
                     workloads=WORKLOADS, reference="c+" + version)
        c.command = build_c(version, prefix)
        stacks += [c, tlsb]

    if args.stacks:
        wanted = args.stacks.split(",")
        unknown = set(wanted) - set(s.name for s in stacks)
        if unknown:
            raise SystemExit("bench: unknown stacks %s" % ", ".join(sorted(unknown)))
        stacks = [s for s in stacks if s.name in wanted]
    tools = tools_python(plot=False)
    for environment in set(s.env for s in stacks if isinstance(s.env, Environment)):
        try:
            environment.prepare(tools)
        except subprocess.CalledProcessError as error:
            environment.error = "setting up %s failed: %s" % (environment.name, error)
    for stack in stacks:
        if isinstance(stack.env, Environment) and stack.env.error:
            stack.error = stack.env.error
    return stacks


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------
def worker_env(workload):
    env = dict(os.environ)
    env["OPENSSL_CONF"] = CONF
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "PYTHONPATH", "PYTHONHOME",
                 "OPENSSL_DIR", "OPENSSL_STATIC", "LD_LIBRARY_PATH", "GLIBC_TUNABLES"):
        env.pop(name, None)
    if workload == "mem":
        # malloc fills what it hands out, so every allocated page is resident
        # and RSS counts allocated bytes, not which pages a program happened
        # to touch (without it, a half-written 16 KiB OpenSSL buffer per
        # connection makes RSS differ by 20% between identical call
        # sequences).
        env["GLIBC_TUNABLES"] = "glibc.malloc.perturb=85"
    return env


def check_negotiated(result):
    """The same suite, group and verification for every stack."""
    workload = result["workload"]
    if workload == "import":
        return None
    protocol, cipher, group = EXPECTED.get(workload, EXPECTED[None])
    problems = []
    for key, expected in (("protocol", protocol), ("cipher", cipher), ("group", group)):
        if result.get(key) != expected:
            problems.append("%s %r, not %r" % (key, result.get(key), expected))
    if result.get("verified") is not True:
        problems.append("peer certificate not verified")
    return "; ".join(problems) or None


def run_job(stack, workload, certdir, count, timeout):
    command = stack.argv(workload, certdir, count)
    started = time.time()
    # Its own process group: a timed-out worker goes with its children
    # (W4's server process).  Output goes to files, so that a chatty worker
    # cannot block on a full pipe while we wait.
    out_file, err_file = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=out_file, stderr=err_file,
                               env=worker_env(workload), preexec_fn=os.setsid)
    deadline = started + timeout
    while process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return {"error": "timed out after %ds" % timeout}
    try:
        os.killpg(process.pid, signal.SIGKILL)    # any child left behind
    except OSError:
        pass
    out_file.seek(0)
    err_file.seek(0)
    out, err = out_file.read(), err_file.read()
    if process.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines() or ["exit %d" % process.returncode]
        return {"error": lines[-1][:300]}
    result = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    problem = check_negotiated(result)
    if problem:
        result["error"] = problem
    return result


def load_average():
    with open("/proc/loadavg") as loadavg:
        return [float(x) for x in loadavg.read().split()[:3]]


def machine():
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.sysconf("SC_NPROCESSORS_ONLN"),
            "kernel": platform.release(),
            "system_openssl": output(["openssl", "version"]).strip()}


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def summarize(stacks, rounds_results):
    """Per workload and stack: median and min-max of the values, of the
    ratios to the C program on the same OpenSSL taken round by round, and
    of the ratios to the stdlib 3.13 (which buys what, beyond the stdlib)."""
    summary = {}
    for workload in WORKLOADS:
        per_stack = {}
        for stack in stacks:
            values = [r[(stack.name, workload)]["value"] for r in rounds_results
                      if "value" in r.get((stack.name, workload), {})
                      and "error" not in r[(stack.name, workload)]]
            if not values:
                continue
            entry = {"median": median(values), "min": min(values), "max": max(values),
                     "n": len(values)}
            ratios = []
            for r in rounds_results:
                mine = r.get((stack.name, workload), {})
                c = r.get((stack.reference, workload), {})
                if "value" in mine and "value" in c and "error" not in mine and "error" not in c:
                    ratios.append(mine["value"] / c["value"])
            if ratios:
                entry.update(ratio=median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                             reference=stack.reference)
            base = [r.get(("stdlib-3.13", workload), {}) for r in rounds_results]
            versus = [r[(stack.name, workload)]["value"] / b["value"]
                      for r, b in zip(rounds_results, base)
                      if "value" in b and "value" in r.get((stack.name, workload), {})]
            if versus:
                entry["vs_stdlib313"] = median(versus)
            per_stack[stack.name] = entry
        if per_stack:
            summary[workload] = per_stack
    return summary


def fmt(value):
    if value >= 1000:
        return "%.0f" % value
    if value >= 10:
        return "%.1f" % value
    return "%.3g" % value


UNITS = {"w1-tls13": "handshakes/s", "w1-tls12": "handshakes/s", "w2": "MiB/s",
         "w3": "records/s", "w4": "MiB/s", "mem": "KiB per connection pair",
         "threads": "x (2 threads / 1)", "import": "ms added to `import ssl`"}
TITLES = {"w1-tls13": "W1 handshakes, TLS 1.3, ECDSA P-256",
          "w1-tls12": "W1 handshakes, TLS 1.2, ECDHE-RSA-AES128-GCM, RSA-2048",
          "w2": "W2 bulk, memory BIOs, 16 KiB writes",
          "w3": "W3 small records, memory BIOs, 64-byte writes",
          "w4": "W4 loopback TCP, two processes, 16 KiB writes",
          "mem": "memory per idle connection pair (client+server, memory BIOs)",
          "threads": "handshakes in 2 threads / 1 thread, one process",
          "import": "import _tls_bootstrap + monkeypatch_ssl()"}


def update_readme(report, text):
    """The ratio table of a full run into bench/README.md, between its
    <!-- results --> markers (the README shows the latest)."""
    path = os.path.join(BENCH, "README.md")
    with open(path) as source:
        readme = source.read()
    start, end = "<!-- results -->", "<!-- /results -->"
    if start not in readme or end not in readme:
        return
    table = text[text.index("## Ratios"):text.index("## Absolute values")]
    table = table.replace("## Ratios", "### Ratios", 1)
    summary = ("Run %s, %d rounds, load average %s before and %s after; all tables, "
               "absolute numbers, import cost and instruction counts in "
               "[results/results.md](results/results.md), plot in "
               "[results/ratios.png](results/ratios.png).\n\n" % (
                   report["date"], report["rounds"],
                   "%.2f" % report["load_before"][0], "%.2f" % report["load_after"][0]))
    head, rest = readme.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(path, "w") as out:
        out.write(head + start + "\n" + summary + table.strip() + "\n" + end + tail)


def threads_table(report):
    """Handshakes per second of two threads over one thread in the same
    process (the GIL released where OpenSSL works), per stack."""
    lines = ["## Two threads, one process", "",
             "`threads`: w1-tls13 handshakes over memory BIOs, %d per thread, both "
             "threads sharing the client and the server context; the value is the "
             "rate of 2 threads over the rate of 1 (target >= %.1f on 2 idle cores; "
             "`c` is OpenSSL's own limit). Cores busy: the process's CPU seconds per "
             "second while 2 threads run (near 2 when the GIL is released through the "
             "handshake work, near 1 if it serialised it). Medians over rounds, "
             "min-max in brackets. "
             "Load average %s before, %s after: on a busy machine the second thread "
             "has no free core and the ratio says little." % (
                 report["counts"]["threads"], THREADS_TARGET,
                 "/".join("%.2f" % x for x in report["load_before"]),
                 "/".join("%.2f" % x for x in report["load_after"])), "",
             "| stack | 2 threads / 1 | 1 thread (handshakes/s) | 2 threads (handshakes/s) "
             "| cores busy (2 threads) |",
             "|---|---|---|---|---|"]
    for stack in report["stacks"]:
        runs = [r.get("%s threads" % stack["name"]) for r in report["raw"]]
        runs = [r for r in runs if r and "value" in r and "error" not in r]
        if not runs:
            continue
        cells = []
        for key in ("value", "rate_1", "rate_2", "busy_2"):
            values = [r[key] for r in runs]
            cells.append("%s (%s-%s)" % (fmt(median(values)), fmt(min(values)),
                                         fmt(max(values))))
        lines.append("| %s | %s |" % (stack["name"], " | ".join(cells)))
    lines.append("")
    return lines


def markdown(report):
    stacks = report["stacks"]
    summary = report["summary"]
    lines = ["# Benchmark results", ""]
    lines.append("Run %s, %d round(s), mode %s, on %s (%d cores), %s. Load average "
                 "%s before, %s after%s." % (
                     report["date"], report["rounds"], report["mode"],
                     report["machine"]["cpu"], report["machine"]["cores"],
                     report["machine"]["system_openssl"],
                     "/".join("%.2f" % x for x in report["load_before"]),
                     "/".join("%.2f" % x for x in report["load_after"]),
                     "" if max(report["load_before"][0], report["load_after"][0]) < 0.5
                     else " (the machine was shared: wall-clock numbers carry that noise)"))
    lines.append("")
    lines.append("Every stack negotiated the same thing (TLS 1.3 TLS_AES_256_GCM_SHA384 / "
                 "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, group X25519, read from the wire) "
                 "and verified the certificate and hostname.")
    lines.append("")
    lines.append("## Ratios to the C program on the same OpenSSL, same run")
    lines.append("")
    lines.append("Median of the per-round ratios, min-max in brackets. Throughput: "
                 "higher is better, 1.0 is OpenSSL driven from C. Memory: stack/C, lower "
                 "is better. Each stack is divided by `c` built against the same OpenSSL; "
                 "pyOpenSSL brings its own (cryptography's wheel), so it is divided by the "
                 "nearest one we build (marked ~).")
    lines.append("")
    by_name = dict((s["name"], s) for s in stacks)
    ratio_stacks = [s for s in stacks if not s["name"].startswith("c")
                    and any("ratio" in summary.get(w, {}).get(s["name"], {}) for w in summary)]
    header = ["workload", "target"] + ["%s<br>/ %s%s" % (
        s["name"], s["reference"],
        "" if (by_name.get(s["reference"]) or {}).get("openssl") == s["openssl"] else " ~")
        for s in ratio_stacks]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for workload in WORKLOADS:
        if workload in OWN_TABLE or workload not in summary:
            continue
        target = TARGETS.get(workload)
        target_text = ("<= %.2f" if workload == "mem" else ">= %.2f") % target
        if workload in TARGETS_PY2:
            target_text += " (2.7: %.2f)" % TARGETS_PY2[workload]
        row = [workload, target_text]
        for s in ratio_stacks:
            entry = summary[workload].get(s["name"])
            if entry is None or "ratio" not in entry:
                row.append("-")
            else:
                row.append("%.2f (%.2f-%.2f)" % (entry["ratio"], entry["ratio_min"],
                                                 entry["ratio_max"]))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("## Absolute values")
    lines.append("")
    for group, title in (("main", "Main stacks (system OpenSSL %s unless noted)"
                          % report["machine"]["system_openssl"].split()[1]),
                         ("openssl", "Other OpenSSL builds: what a static OpenSSL buys")):
        group_stacks = [s for s in stacks if s["group"] == group or
                        (group == "openssl" and s["name"] in ("c", "stdlib-3.13"))]
        if not [s for s in group_stacks if s["group"] == group]:
            continue
        lines.append("### " + title)
        lines.append("")
        header = ["workload", "unit"] + [s["name"] for s in group_stacks]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for workload in WORKLOADS:
            if workload not in summary or workload in OWN_TABLE:
                continue
            row = [workload, UNITS[workload]]
            for s in group_stacks:
                entry = summary[workload].get(s["name"])
                row.append("-" if entry is None else "%s (%s-%s)" % (
                    fmt(entry["median"]), fmt(entry["min"]), fmt(entry["max"])))
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        if group == "openssl" and "w1-tls13" in summary:
            lines.append("Handshakes per second relative to the stdlib 3.13 on the system "
                         "OpenSSL (median of per-round ratios):")
            lines.append("")
            for workload in ("w1-tls13", "w1-tls12"):
                parts = []
                for s in group_stacks:
                    entry = summary.get(workload, {}).get(s["name"])
                    if entry and "vs_stdlib313" in entry:
                        parts.append("%s %.2f" % (s["name"], entry["vs_stdlib313"]))
                lines.append("- %s: %s" % (workload, ", ".join(parts)))
            lines.append("")
    if "threads" in summary:
        lines += threads_table(report)
    if "import" in summary:
        lines.append("## Import cost")
        lines.append("")
        lines.append("Fresh processes; medians of %d. Target: import + monkeypatch_ssl() "
                     "adds no more than `import ssl` costs (ratio <= 1)." %
                     report["counts"]["import"])
        lines.append("")
        lines.append("| stack | import ssl (ms) | import _tls_bootstrap (ms) | "
                     "monkeypatch_ssl() (ms) | added / import ssl |")
        lines.append("|---|---|---|---|---|")
        for s in stacks:
            detail = report["import_detail"].get(s["name"])
            if detail:
                lines.append("| %s | %.2f | %.2f | %.3f | %.2f |" % (
                    s["name"], detail["import_ssl_ms"], detail["import_tlsb_ms"],
                    detail["monkeypatch_ms"], detail["ratio_to_import_ssl"]))
        lines.append("")
    lines.append("## Stacks")
    lines.append("")
    for s in stacks:
        lines.append("- `%s`: %s; %s%s" % (s["name"], s["label"], s["openssl"] or "?",
                                           "; NOT RUN: " + s["error"] if s["error"] else ""))
    if report.get("instructions"):
        record = report["instructions"]
        table = record["per_operation"]
        names = [s["name"] for s in stacks if any(s["name"] in v for v in table.values())]
        lines.append("")
        lines.append("## Instructions per operation")
        lines.append("")
        lines.append("`bench/run --instructions` (%s, %s): each worker counted at N and 2N "
                     "operations, the difference divided by N; in brackets the ratio "
                     "C/stack on the same OpenSSL (the instruction-count analogue of the "
                     "ratios above). Stable to a fraction of a percent; blind to cache "
                     "misses and system calls." % (record["counter"], record["date"]))
        lines.append("")
        lines.append("| workload | " + " | ".join(names) + " |")
        lines.append("|" + "---|" * (len(names) + 1))
        by_name = dict((s["name"], s) for s in stacks)
        for workload in WORKLOADS:
            per_stack = table.get(workload)
            if not per_stack:
                continue
            row = [workload]
            for name in names:
                if name not in per_stack:
                    row.append("-")
                    continue
                reference = per_stack.get(by_name[name]["reference"])
                row.append(fmt(per_stack[name]) + (
                    " (%.3f)" % (reference / per_stack[name]) if reference else ""))
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    return "\n".join(lines)


def instruction_counter():
    """perf stat where the machine exposes the instructions counter (not
    in most VMs), callgrind otherwise; None if neither is installed."""
    try:
        err = subprocess.Popen(["perf", "stat", "-x,", "-e", "instructions", "true"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE).communicate()[1]
        if err.decode().split(",")[0].strip().isdigit():
            return "perf"
    except OSError:
        pass
    try:
        subprocess.check_call(["valgrind", "--version"], stdout=subprocess.PIPE)
        return "callgrind"
    except (OSError, subprocess.CalledProcessError):
        return None


def count_instructions(counter, argv, workload):
    """Instructions of one worker run (the process only, not W4's child)."""
    if counter == "perf":
        command = ["perf", "stat", "-x,", "-e", "instructions:u"] + argv
    else:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + argv
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=worker_env(workload))
    err = process.communicate()[1].decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(err.strip()[-300:])
    for line in reversed(err.splitlines()):
        if counter == "perf" and ",instructions" in line:
            return int(line.split(",")[0])
        if counter == "callgrind" and "Collected :" in line:
            return int(line.split(":")[-1])
    raise RuntimeError("no instruction count in: " + err[-300:])


def measure_instructions(stacks, certdir, workloads, scale):
    """Instructions per operation: each worker runs COUNT and 2*COUNT
    operations; the difference divided by COUNT leaves out start-up and
    set-up.  Stable to a fraction of a percent, unlike wall-clock time on
    a shared machine."""
    counter = instruction_counter()
    if counter is None:
        raise SystemExit("bench: --instructions needs perf (with counters) or valgrind")
    log("counting instructions with " + counter)
    counts = {"w1-tls13": 20, "w1-tls12": 10, "w2": 64, "w3": 2000}
    unit = {"w2": 16384}      # w2 counts bytes: 64 records of 16 KiB
    table = {}
    for workload in workloads:
        if workload not in counts:
            continue
        base = max(1, int(counts[workload] * scale))
        for stack in stacks:
            if stack.error or workload not in stack.workloads:
                continue
            try:
                totals = [count_instructions(counter, stack.argv(
                    workload, certdir, n * unit.get(workload, 1)), workload)
                    for n in (base, 2 * base)]
            except RuntimeError as error:
                log("instructions: %s %s failed: %s" % (stack.name, workload, error))
                continue
            table.setdefault(workload, {})[stack.name] = (totals[1] - totals[0]) / base
            log("instructions: %-22s %-9s %.0f per op" % (
                stack.name, workload, table[workload][stack.name]))
    return table


def main():
    if sys.argv[1:2] == ["--startup"]:
        # Start-up cost has its own driver and table (bench/startup.py).
        import startup
        return startup.main(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny counts, one round, results in the work directory; "
                             "fails unless every stack ran and produced numbers")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5; smoke 1)")
    parser.add_argument("--stacks", help="comma-separated stack names (default: all)")
    parser.add_argument("--workloads", help="comma-separated workloads (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    parser.add_argument("--build-openssl", action="store_true",
                        help="in smoke mode too, build the static OpenSSL %s if "
                             "missing (a few minutes; full runs always do)" % OPENSSL_3)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per operation under callgrind instead")
    parser.add_argument("--source", help="build _tls_bootstrap from this tree instead "
                                         "(with its own TLSB_BENCH_WORK)")
    parser.add_argument("--out", help="results directory (default bench/results; "
                                      "smoke: the work directory)")
    args = parser.parse_args()
    if args.source:
        global SOURCE
        SOURCE = os.path.abspath(args.source)
    mode = "smoke" if args.smoke else "full"
    rounds = args.rounds or (1 if args.smoke else 5)
    workloads = args.workloads.split(",") if args.workloads else WORKLOADS
    out_dir = args.out or (os.path.join(WORK, "smoke-results") if args.smoke else RESULTS)
    if not os.path.isdir(WORK):
        os.makedirs(WORK)

    certdir = make_certificates()
    stacks = define_stacks(args)
    for stack in stacks:
        if stack.error:
            log("stack %s not available: %s" % (stack.name, stack.error))
    runnable = [s for s in stacks if not s.error]

    if args.instructions:
        table = measure_instructions(runnable, certdir, workloads, args.scale)
        if not os.path.isdir(out_dir):
            os.makedirs(out_dir)
        record = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  "counter": instruction_counter(), "per_operation": table,
                  "openssl": dict((s.name, s.label) for s in runnable)}
        with open(os.path.join(out_dir, "instructions.json"), "w") as out:
            json.dump(record, out, indent=1, sort_keys=True)
        print(json.dumps(table, indent=1, sort_keys=True))
        return 0

    counts = dict((w, max(1, int(c * args.scale))) for w, c in COUNTS[mode].items())
    load_before = load_average()
    rounds_results = []
    failures = []
    started = time.time()
    for round_number in range(rounds):
        results = {}
        for workload in workloads:
            order = [s for s in runnable if workload in s.workloads]
            shift = round_number % max(1, len(order))
            for stack in order[shift:] + order[:shift]:
                result = run_job(stack, workload, certdir, counts[workload],
                                 timeout=120 if args.smoke else 900)
                results[(stack.name, workload)] = result
                if "error" in result:
                    failures.append("%s %s: %s" % (stack.name, workload, result["error"]))
                log("round %d/%d %-22s %-9s %s" % (
                    round_number + 1, rounds, stack.name, workload,
                    result.get("error") or "%s %s" % (fmt(result["value"]), result["unit"])))
        rounds_results.append(results)
    load_after = load_average()

    summary = summarize(runnable, rounds_results)
    openssl_of = {}
    import_detail = {}
    for results in rounds_results:
        for (name, workload), result in results.items():
            if result.get("openssl"):
                openssl_of[name] = result["openssl"]
            if workload == "import" and "error" not in result:
                import_detail.setdefault(name, []).append(result)
    import_detail = dict((name, dict((key, median([r[key] for r in rs])) for key in
                                     ("import_ssl_ms", "import_tlsb_ms", "monkeypatch_ms",
                                      "ratio_to_import_ssl")))
                         for name, rs in import_detail.items())
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "mode": mode, "rounds": rounds, "counts": counts, "machine": machine(),
        "load_before": load_before, "load_after": load_after,
        "duration_s": round(time.time() - started, 1),
        "stacks": [{"name": s.name, "label": s.label, "group": s.group, "error": s.error,
                    "python2": s.python2, "openssl": openssl_of.get(s.name),
                    "reference": s.reference} for s in stacks],
        "summary": summary, "import_detail": import_detail,
        "raw": [dict(("%s %s" % key, value) for key, value in r.items())
                for r in rounds_results],
        "targets": TARGETS, "failures": failures,
    }
    if not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    instructions = os.path.join(out_dir, "instructions.json")
    if os.path.exists(instructions):       # from bench/run --instructions
        with open(instructions) as source:
            report["instructions"] = json.load(source)
    with open(os.path.join(out_dir, "results.json"), "w") as out:
        json.dump(report, out, indent=1, sort_keys=True)
    text = markdown(report)
    with open(os.path.join(out_dir, "results.md"), "w") as out:
        out.write(text)
    if out_dir == RESULTS and not args.stacks and not args.workloads and args.scale == 1:
        update_readme(report, text)
    if not args.smoke:
        run([tools_python(plot=True), os.path.join(BENCH, "plot.py"),
             os.path.join(out_dir, "results.json"), os.path.join(out_dir, "ratios.png")])
    log("results in %s (%.0f s)" % (out_dir, time.time() - started))

    missing = [s.name for s in stacks if s.error]
    if failures or (args.smoke and missing):
        for failure in failures:
            log("FAILED " + failure)
        for name in missing:
            log("NOT RUN " + name)
        return 1
    if args.smoke:
        ran = sum(1 for r in rounds_results for v in r.values() if "value" in v)
        print("bench smoke: %d stacks, %d measurements, all with numbers"
              % (len(runnable), ran))
    return 0


if __name__ == "__main__":
    sys.exit(main())
