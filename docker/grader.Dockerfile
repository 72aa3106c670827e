# The grader service: pinned torch (CPU by default; CUDA with the
# TORCH_INDEX_URL build argument, see docker-compose.yml's grader-gpu), the
# bubblewrap sandbox, run as an unprivileged user.
#
#   docker build -f docker/grader.Dockerfile -t torchdojo-grader:cpu .
#   docker build -f docker/grader.Dockerfile -t torchdojo-grader:gpu \
#     --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .
#
# The warm pool's jail (bubblewrap + nested namespaces) needs, from the
# container, exactly what docker-compose.yml's grader services grant and no
# capability (see README "Production"): unprivileged user namespaces on the
# host, docker/seccomp-grader.json (unshare/setns/mount/umount2/pivot_root and
# clone with namespace flags allowed), apparmor=unconfined (docker-default
# denies mount) and systempaths=unconfined (the kernel refuses a fresh procfs
# while Docker's masks cover parts of /proc).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch first, from the index of the wanted build (CPU or CUDA); the
# project's own pin (torch==TORCH_VERSION) is then already satisfied.
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY grader ./grader
COPY curriculum ./curriculum
COPY migrations ./migrations
# The project pins its own dependencies in pyproject.toml (torch==, docker>=).
# hadolint ignore=DL3013
RUN pip install ".[grader,docker]" \
    && python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '${TORCH_VERSION}')"

FROM ${PYTHON_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap libseccomp2 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin torchdojo
COPY --from=build /opt/venv /opt/venv
# The sandbox's two files, outside our packages: the per-job container
# backend hides every package of ours and runs these (grader/container.py).
COPY grader/sandbox/harness.py grader/sandbox/zygote.py /opt/torchdojo/sandbox/
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080
USER 10001:10001
WORKDIR /tmp
EXPOSE 8080
# Healthy once every warm worker has imported torch; 503 (unhealthy) while a
# worker is being replaced or the pool cannot start.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/v1/health', timeout=4)"]
CMD ["torchdojo", "grader", "serve", "--host", "0.0.0.0"]
