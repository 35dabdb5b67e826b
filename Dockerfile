# One image for the API, the workers and beat (docker-compose.yml picks the command).
# PyPI's torch wheels for Linux bundle CUDA, so the same image runs on CPU and on NVIDIA GPUs.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# util-linux: `unshare`, which the checkpoint sandbox uses for an empty network namespace where allowed
RUN apt-get update && apt-get install -y --no-install-recommends util-linux \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY evaluators evaluators
COPY service service
COPY workers workers
COPY migrations migrations
RUN pip install torch==2.14.1 torchvision==0.29.1 && pip install -c constraints.txt .

RUN useradd --create-home --uid 1000 cpbench \
    && mkdir -p /var/lib/cpbench/weights && chown -R cpbench /var/lib/cpbench
USER cpbench
ENV CPBENCH_HOME=/var/lib/cpbench CPBENCH_API_HOST=0.0.0.0
EXPOSE 8000
CMD ["cpbench", "serve", "--no-worker"]
