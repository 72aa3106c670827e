"""The jail's seccomp filters, generated with libseccomp (``pyseccomp``).

Two classic-BPF programs, both "allow by default, refuse a list":

- the **jail** program, applied by bubblewrap (``--seccomp FD``) to the
  zygote and everything it forks: system calls no grading job (nor the
  zygote) ever needs — tracing other processes, kernel keyrings, BPF, perf,
  module loading, kexec, userfaultfd, clock setting and the like — fail with
  ``EPERM``. It is the same list ``docker/seccomp-grader.json`` refuses for
  the grader container, so the jail does not depend on the container;
- the **job** program, loaded by each job's child just before the learner's
  code runs (after its private mounts are in place and its capabilities are
  dropped): no new namespaces (``unshare``/``clone`` with a namespace flag,
  ``setns``) and no mount table changes. These cannot go in the jail program
  because the zygote itself builds each job's namespaces and mounts.
  ``clone3`` answers ``ENOSYS``: its flags live in memory a filter cannot
  read, and ``ENOSYS`` makes glibc fall back to ``clone``, whose flags it can.

Both are built once per process for the native architecture; system calls
of another ABI (i386, x32) kill the caller. The jail program is handed to
bubblewrap in a memfd, the job program travels to the zygote on its command
line (``sandbox/zygote.py`` loads it with ``prctl(PR_SET_SECCOMP)``).
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile

# Refused for the zygote and every job (EPERM). Keep in step with
# docker/seccomp-grader.json (tests/deploy checks the two agree).
JAIL_DENIED = (
    "_sysctl", "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "fanotify_init", "finit_module", "fsconfig", "fsmount", "fsopen",
    "fspick", "get_kernel_syms", "get_mempolicy", "init_module",
    # io_uring: a large kernel surface neither the zygote nor a job needs (a source of
    # many kernel exploits; Docker's default profile refuses it too)
    "io_uring_enter", "io_uring_register", "io_uring_setup", "ioperm", "iopl", "kcmp",
    "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "migrate_pages",
    "mount_setattr", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
    "open_by_handle_at", "open_tree", "perf_event_open", "pidfd_getfd", "process_vm_readv",
    "process_vm_writev", "ptrace", "query_module", "quotactl", "quotactl_fd", "reboot",
    "request_key", "set_mempolicy", "settimeofday", "stime", "swapoff", "swapon", "sysfs",
    "syslog", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
)
# Refused for the learner's code only (EPERM): what the zygote needs to build
# a job's sandbox and nothing after that may do again.
JOB_DENIED = ("setns", "mount", "umount2", "pivot_root", "chroot")
# unshare(2) and clone(2) are refused when their flags ask for a new namespace.
NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
CLONE_NEWTIME = 0x00000080  # unshare only: in clone(2)'s flags this bit is the exit signal's


class SeccompUnavailable(RuntimeError):
    """libseccomp (Debian's libseccomp2) or its Python binding is missing."""


def _seccomp():  # type: ignore[no-untyped-def]
    try:
        import pyseccomp
    except (ImportError, OSError) as exc:  # OSError: the shared library is missing
        raise SeccompUnavailable(
            f"libseccomp is needed for the jail's system-call filter ({exc}); "
            "install Debian's libseccomp2 and the pyseccomp package"
        ) from exc
    return pyseccomp


def _export(filt: object) -> bytes:
    with tempfile.TemporaryFile() as out:
        filt.export_bpf(out)  # type: ignore[attr-defined]
        out.seek(0)
        return out.read()


def _known(sc: object, name: str) -> bool:
    """Whether this libseccomp knows the call on this architecture (older ones lack new calls)."""
    return sc.resolve_syscall(sc.system_arch(), name) >= 0  # type: ignore[attr-defined]


@functools.cache
def jail_program() -> bytes:
    """The BPF program bubblewrap applies to the whole jail."""
    sc = _seccomp()
    filt = sc.SyscallFilter(sc.ALLOW)
    for name in JAIL_DENIED:
        if _known(sc, name):
            filt.add_rule(sc.ERRNO(errno.EPERM), name)
    return _export(filt)


@functools.cache
def job_program() -> bytes:
    """The BPF program each job's child loads before running the learner's code."""
    sc = _seccomp()
    filt = sc.SyscallFilter(sc.ALLOW)
    for name in JOB_DENIED:
        if _known(sc, name):
            filt.add_rule(sc.ERRNO(errno.EPERM), name)
    for flag in NAMESPACE_FLAGS.values():
        for call in ("unshare", "clone"):
            filt.add_rule(sc.ERRNO(errno.EPERM), call, sc.Arg(0, sc.MASKED_EQ, flag, flag))
    filt.add_rule(sc.ERRNO(errno.EPERM), "unshare",
                  sc.Arg(0, sc.MASKED_EQ, CLONE_NEWTIME, CLONE_NEWTIME))
    if _known(sc, "clone3"):
        filt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    return _export(filt)


def jail_program_fd() -> int:
    """A memfd holding :func:`jail_program`, positioned at 0, for ``bwrap --seccomp``.

    The caller passes it to bubblewrap (``pass_fds``) and closes it after
    the spawn; bubblewrap reads it to the end once.
    """
    fd = os.memfd_create("torchdojo-jail-seccomp")
    try:
        os.write(fd, jail_program())
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd
