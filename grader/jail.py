"""How a warm worker is started: the bubblewrap command line and its checks.

The outer jail is bubblewrap (Debian's ``bubblewrap``): new user, PID,
network, IPC and UTS namespaces, an empty root with read-only binds of the
system libraries, the Python installation and the site-packages holding torch,
an empty environment and a private ``/tmp``. Our own packages (``grader``,
``curriculum``, ``bot``) are masked with empty tmpfs mounts wherever they are
installed, so no reference solution or check is readable inside.

A seccomp filter (``grader/seccomp.py``) refuses, for the whole jail, the
system calls no job needs; each job's child adds one refusing new namespaces
and mounts before the learner's code runs.

Privileges needed: none beyond unprivileged user namespaces (the kernel's
``user.max_user_namespaces`` > 0, and in a container a seccomp profile that
permits ``unshare``/``clone`` with namespace flags and ``mount``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from grader import seccomp
from grader.limits import PROTOCOL

SANDBOX_DIR = Path(__file__).parent / "sandbox"
INSIDE_DIR = "/opt/torchdojo"
OWN_PACKAGES = ("grader", "curriculum", "bot")


class SandboxUnavailable(RuntimeError):
    """The kernel or the host refuses the namespaces the jail needs."""


def python_paths() -> tuple[str, list[str]]:
    """The real interpreter and the site directories torch is importable from."""
    exe = os.path.realpath(sys.executable)
    sites = []
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths()[key]
        if path not in sites and os.path.isdir(path):
            sites.append(path)
    return exe, sites


def _masks(site: str, visible_at: str) -> list[str]:
    """Hides our own packages in ``site``, as seen inside the jail at ``visible_at``."""
    args: list[str] = []
    for name in os.listdir(site):
        stem = name.split("-")[0].lower()
        own = name in OWN_PACKAGES or (stem == "torchdojo" and name.endswith(("-info", ".pth")))
        if name.startswith("__editable__") and "torchdojo" in name:
            own = True
        if not own:
            continue
        target = os.path.join(visible_at, name)
        if os.path.isdir(os.path.join(site, name)):
            # read-only: a writable mask would be a directory every job of
            # the worker shares
            args += ["--tmpfs", target, "--remount-ro", target]
        else:
            args += ["--ro-bind", "/dev/null", target]
    return args


def bwrap_command(gpu_devices: list[str] | None, seccomp_fd: int,
                  oneshot: dict[str, bool] | None = None) -> list[str]:
    """argv that starts a zygote inside bubblewrap; ``seccomp_fd`` holds the jail's filter.

    ``oneshot``: options of a zygote that runs one job and exits (see zygote.py).
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    exe, sites = python_paths()
    prefix = os.path.realpath(sys.base_prefix)
    argv = [
        bwrap,
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
        "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session", "--clearenv",
        "--seccomp", str(seccomp_fd),
        "--hostname", "sandbox",
        "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "HOME", "/tmp",
        "--setenv", "LANG", "C.UTF-8",
        "--setenv", "OMP_NUM_THREADS", "1",
        "--setenv", "MKL_NUM_THREADS", "1",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        "--setenv", "MPLBACKEND", "Agg",
        # malloc in huge pages: far fewer page-table entries to copy per fork
        "--setenv", "GLIBC_TUNABLES", "glibc.malloc.hugetlb=1",
        "--ro-bind", "/usr", "/usr",
    ]
    for link in ("lib", "lib64", "bin", "sbin"):
        if os.path.islink(f"/{link}"):
            argv += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            argv += ["--ro-bind", f"/{link}", f"/{link}"]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if not prefix.startswith("/usr/"):
        argv += ["--ro-bind", prefix, prefix]
    # Site directories appear at fixed paths inside: the checkout (and its
    # venv) may live under /tmp, which the jail replaces with a private tmpfs.
    inside_sites = []
    for i, site in enumerate(sites):
        inside = f"{INSIDE_DIR}/site{i}"
        argv += ["--ro-bind", site, inside, *_masks(site, inside)]
        if site.startswith((prefix + "/", "/usr/")):
            argv += _masks(site, site)  # also visible through the prefix bind
        inside_sites.append(inside)
    argv += [
        "--proc", "/proc",
        "--dev", "/dev",
        "--tmpfs", "/tmp",
        "--ro-bind", str(SANDBOX_DIR / "harness.py"), f"{INSIDE_DIR}/harness.py",
        "--ro-bind", str(SANDBOX_DIR / "zygote.py"), f"{INSIDE_DIR}/zygote.py",
    ]
    for dev in gpu_devices or []:
        argv += ["--dev-bind", dev, dev]
    # The root tmpfs bwrap builds, and its /dev, are shared by every job of
    # this worker: read-only, so no job can leave files behind for the next
    # one. Each job gets its own writable /tmp, /dev and /dev/shm (zygote.py).
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    argv += ["--chdir", "/tmp", "--", exe, "-I", "-S", f"{INSIDE_DIR}/zygote.py", "isolate",
             zygote_config(job_seccomp=True, oneshot=oneshot), *inside_sites]
    return argv


def unsafe_command(oneshot: dict[str, bool] | None = None) -> list[str]:
    """argv for a zygote without namespaces (only with the explicit unsafe flag)."""
    exe, sites = python_paths()
    return [exe, "-I", "-S", str(SANDBOX_DIR / "zygote.py"), "none",
            zygote_config(oneshot=oneshot), *sites]


def zygote_config(job_seccomp: bool = False, oneshot: dict[str, bool] | None = None) -> str:
    """What the zygote needs from the trusted side, on its command line (it cannot
    import our code): the protocol's caps, in the jail the job's seccomp filter,
    and for a one-shot zygote its options."""
    config: dict[str, object] = {
        "protocol": PROTOCOL.for_child(),
        "job_seccomp": seccomp.job_program().hex() if job_seccomp else "",
    }
    if oneshot is not None:
        config.update(oneshot=True, **oneshot)
    return json.dumps(config, separators=(",", ":"))


@contextlib.contextmanager
def launch(isolated: bool, gpu_devices: list[str] | None = None,
           oneshot: dict[str, bool] | None = None
           ) -> Iterator[tuple[list[str], tuple[int, ...]]]:
    """(argv, descriptors to pass) for one zygote, jailed unless ``isolated`` is False.

    The jail's seccomp program travels to bubblewrap in a memfd, closed here
    once the process has been spawned.
    """
    if not isolated:
        yield unsafe_command(oneshot), ()
        return
    fd = seccomp.jail_program_fd()
    try:
        yield bwrap_command(gpu_devices, fd, oneshot), (fd,)
    finally:
        os.close(fd)


def gpu_device_files() -> list[str]:
    return sorted(
        f"/dev/{name}" for name in os.listdir("/dev")
        if name.startswith("nvidia") and not os.path.isdir(f"/dev/{name}")
    )


def require_sandbox() -> None:
    """Raises SandboxUnavailable, saying why and what overrides it, unless the jail can be built."""
    reason = check_namespaces() or check_seccomp()
    if reason is not None:
        raise SandboxUnavailable(
            f"cannot build the sandbox: {reason}. Refusing to grade untrusted code. "
            "Set TORCHDOJO_UNSAFE_NO_SANDBOX=1 (or --unsafe-no-sandbox) only on a "
            "machine where the submitted code is trusted."
        )


def check_seccomp() -> str | None:
    """None if the jail's seccomp filters can be built here, else why not."""
    try:
        seccomp.jail_program()
        seccomp.job_program()
    except seccomp.SeccompUnavailable as exc:
        return str(exc)
    return None


@functools.cache
def check_namespaces() -> str | None:
    """None if the jail can be built here, else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    probe = [
        bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/",
        "--proc", "/proc", "--dev", "/dev",
        os.path.realpath(sys.executable), "-I", "-S", "-c",
        "import ctypes; l=ctypes.CDLL(None, use_errno=True); "
        "import sys; sys.exit(0 if l.unshare(0x10000000|0x20000000|0x20000)==0 else 3)",
    ]
    try:
        proc = subprocess.run(probe, capture_output=True, timeout=30, env={})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap failed to start: {exc}"
    if proc.returncode == 3:
        return "nested user/PID/mount namespaces are refused by the kernel"
    if proc.returncode != 0:
        return "user namespaces are refused: " + proc.stderr.decode(errors="replace").strip()
    return None
