"""The per-job container backend against a real Docker engine.

Runs only where an engine is reachable and the grader image is built
(``docker build -f docker/grader.Dockerfile -t torchdojo-grader:cpu .``, or
``TORCHDOJO_DOCKER_IMAGE``); elsewhere every test is reported as skipped with
the reason. These are the checks the fake engine cannot make: the limits the
engine enforces.
"""

from __future__ import annotations

import textwrap

import pytest
import pytest_asyncio

from grader.container import ContainerPool, ContainerSettings
from grader.grading import Grader
from grader.limits import GraderSettings

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


def _engine_or_skip() -> ContainerSettings:
    try:
        import docker
    except ImportError:  # pragma: no cover
        pytest.skip("the Docker SDK is not installed (pip install 'torchdojo[docker]')")
    settings = ContainerSettings()
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.skip(f"no reachable Docker engine ({exc.__class__.__name__}: {exc})")
    try:
        client.images.get(settings.image)
    except docker.errors.ImageNotFound:
        pytest.skip(f"image {settings.image} is not built: docker build -f "
                    f"docker/grader.Dockerfile -t {settings.image} .")
    finally:
        client.close()
    return settings


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine_grader():
    from curriculum import load_curriculum

    container = _engine_or_skip()
    settings = GraderSettings(workers=2, sandbox="docker")
    grader = Grader(load_curriculum(), ContainerPool(settings, container), settings)
    await grader.start()
    yield grader
    await grader.close()


def _with(grader: Grader, code: str) -> str:
    return grader.curriculum.get("1.1.1").reference + "\n" + textwrap.dedent(code)


async def test_grades_in_a_real_container(engine_grader: Grader) -> None:
    ref = engine_grader.curriculum.get("1.1.1").reference
    passed = await engine_grader.grade("1.1.1", ref)
    assert passed["status"] == "passed", passed
    assert passed["environment"]["sandbox"].startswith("docker container per job")
    wrong = ref.replace("zeros_1 = torch.zeros(3, 4)", "zeros_1 = torch.ones(3, 4)")
    assert (await engine_grader.grade("1.1.1", wrong))["status"] == "failed"


async def test_the_container_is_locked_down(engine_grader: Grader) -> None:
    site = ContainerSettings().site_dir
    result = await engine_grader.grade("1.1.1", _with(engine_grader, f"""
        import os, socket
        print("uid", os.getuid())
        try:
            open("/opt/written", "w")
            print("rootfs writable")
        except OSError:
            print("rootfs read-only")
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=2)
            print("network reachable")
        except OSError:
            print("no network")
        print("curriculum", sorted(os.listdir({site + "/curriculum"!r})))
    """))
    out = result["stdout"]
    assert result["status"] == "passed", result
    assert "uid 10001" in out and "rootfs read-only" in out and "no network" in out
    assert "curriculum []" in out


async def test_engine_limits_end_hostile_jobs(engine_grader: Grader) -> None:
    hog = await engine_grader.grade("1.1.1", _with(engine_grader, """
        blocks = []
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))
    """))
    assert hog["status"] == "oom", hog
    bomb = await engine_grader.grade("1.1.1", _with(engine_grader, """
        import os
        while True:
            os.fork()
    """))
    assert bomb["status"] in ("process_limit", "timeout", "error"), bomb
    loop = await engine_grader.grade("1.1.1", _with(engine_grader, "while True:\n    pass\n"))
    assert loop["status"] == "timeout", loop
