"""The hostile sweep's watchdog (test_hostile_arguments.Watchdog), run as
CI runs it: under pytest's output capture, in a process it ends.  It must
say which call hung, on the stderr the log gets, and exit with a status
that is not one of pytest's own (CI once saw only "exit status 3")."""
import os
import subprocess
import sys
import textwrap

import tlsb_support

HANGING_TEST = textwrap.dedent("""
    import time
    import test_hostile_arguments as hostile

    def test_a_call_that_never_returns():
        hostile.CASE_TIMEOUT = 1
        with hostile.Watchdog("Example[state].never_returns"):
            time.sleep(60)
""")


def test_hang_is_named_on_the_real_stderr_with_its_own_status(tmpdir):
    test_file = tmpdir.join("test_hangs.py")
    test_file.write(HANGING_TEST)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [tlsb_support.HERE] + [p for p in [env.get("PYTHONPATH")] if p])
    env.pop("TLSB_HEAP_INSTRUMENTED", None)
    # -p conftest: Lib/test's conftest as a plugin, as in the real suite
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest",
         "-q", str(test_file)],
        cwd=str(tmpdir), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    output = (out + err).decode("utf-8", "replace")
    assert process.returncode == tlsb_support.WATCHDOG_EXIT, output
    assert "no result from Example[state].never_returns" in output, output
    assert "time.sleep(60)" in output, output     # the hung thread's stack
