"""Helpers of the nbgrader workflow tests: course copies, plain environments, Jupyter servers, Chromium.

Every instructor or student here runs as a new user would: a plain
environment (no PYTHONPATH, the virtual environment's ``bin`` first on
PATH), a HOME and Jupyter configuration of their own, and a working
directory that is not the repository.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from grader import ROOT

BIN = os.path.dirname(sys.executable)
COURSE_ID = "deeplearning-L1W3"
# What an instructor copies into the course copy; the rest (gradebook, outputs) starts empty.
COURSE_PARTS = ("source", "notebooks", "utils", "grader", "grading", "nbgrader_config.py")


def copy_course(dest):
    """Copy the course (sources, release, helpers, grader, config) into ``dest``; return ``dest``.

    Relative symlinks (``source/<id>/*.py`` -> ``utils/<id>/``) stay symlinks, so
    the copy is self-contained and nothing the tests do touches the repository.
    """
    os.makedirs(dest, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for part in COURSE_PARTS:
        src = os.path.join(ROOT, part)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, part), symlinks=True, ignore=ignore)
        elif os.path.exists(src):
            shutil.copy2(src, os.path.join(dest, part))
    return str(dest)


def student_config(exchange, course_id=COURSE_ID):
    """The nbgrader_config.py a student needs to reach the course's exchange (docs/instructors.md)."""
    return (
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.Exchange.path_includes_course = True\n"
    )


def plain_env(home, config=None):
    """A new user's environment: own HOME and Jupyter folders, no PYTHONPATH.

    Parameters
    ----------
    home : str or path
        Created if missing; Jupyter's config, data and runtime folders live in it.
    config : str, optional
        Text written as ``<home>/.jupyter/nbgrader_config.py`` (a student's exchange settings).
    """
    home = str(home)
    jupyter = os.path.join(home, ".jupyter")
    os.makedirs(jupyter, exist_ok=True)
    if config is not None:
        with open(os.path.join(jupyter, "nbgrader_config.py"), "w", encoding="utf-8") as f:
            f.write(config)
    env = {
        "HOME": home,
        "PATH": BIN + os.pathsep + "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "JUPYTER_CONFIG_DIR": jupyter,
        "JUPYTER_DATA_DIR": os.path.join(home, ".local", "share", "jupyter"),
        "JUPYTER_RUNTIME_DIR": os.path.join(home, ".local", "share", "jupyter", "runtime"),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
    }
    for name in ("USER", "LOGNAME", "TZ"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def nbgrader(args, cwd, env, check=True, timeout=900):
    """Run ``nbgrader ARGS`` from the virtual environment; return the CompletedProcess (output merged)."""
    proc = subprocess.run(
        [os.path.join(BIN, "nbgrader")] + list(args),
        cwd=str(cwd),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}")
    return proc


def free_port():
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """``jupyter lab`` on a free port with a random token, in its own process group.

    Parameters
    ----------
    root_dir : str
        The server's root (and working) directory.
    env : dict
        Its environment (see ``plain_env``).
    log : str
        File that receives the server's output, for debugging a failed test.
    """

    def __init__(self, root_dir, env, log):
        self.root_dir, self.env, self.log_path = str(root_dir), env, str(log)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout=90):
        """Start the server and wait until its API answers; return ``self``."""
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [
                os.path.join(BIN, "jupyter"),
                "lab",
                "--no-browser",
                f"--port={self.port}",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={self.root_dir}",
                "--ServerApp.port_retries=0",
            ]
            # CI and containers run the tests as root, which Jupyter refuses without this flag.
            + (["--allow-root"] if os.geteuid() == 0 else []),
            cwd=self.root_dir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited {self.proc.returncode}: {self.read_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer in {timeout} s: {self.read_log()}")

    def page(self, path):
        """URL of ``path`` on this server, with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}/{path.lstrip('/')}{sep}token={self.token}"

    def read_log(self):
        """The server's output so far."""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        """Stop the server and its kernels: a clean shutdown, then its whole process group."""
        if self.proc is None:
            return
        # Kernels run in sessions of their own: only the server's shutdown reaches them.
        try:
            request = urllib.request.Request(self.page("api/shutdown"), method="POST", data=b"")
            urllib.request.urlopen(request, timeout=5).close()
            self.proc.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # anything left in the server's group (a kernel launcher it had no time to stop)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log.close()
        self.proc = None


def chromium(window="1400,1000"):
    """Headless Chromium through Debian's chromedriver, as grader_tests/test_feedback.py drives it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={window}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
