# The chat bot (Discord or Slack by TORCHDOJO_PLATFORM, or any `torchdojo`
# command given as arguments). No torch: it grades through GRADER_URL.
#
#   docker build -f docker/bot.Dockerfile -t torchdojo-bot .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY grader ./grader
COPY curriculum ./curriculum
COPY migrations ./migrations
# No extras: the grader's torch stays out of this image.
RUN pip install . \
    && python -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is not None)"

FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --user-group --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin torchdojo
COPY --from=build /opt/venv /opt/venv
COPY docker/bot-entrypoint.sh /usr/local/bin/torchdojo-entrypoint
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["/usr/local/bin/torchdojo-entrypoint"]
