# Multi-stage: build a wheel, install it into a clean venv, run as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY content content
COPY storage storage
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir build \
    && /venv/bin/python -m build --wheel --outdir /dist \
    && python -m venv /app && /app/bin/pip install --no-cache-dir /dist/*.whl

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data bot && mkdir -p /data && chown bot /data
COPY --from=build /app /app
ENV PATH="/app/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/nwfz-bot.sqlite3
VOLUME ["/data"]
USER bot
WORKDIR /data
# Content is validated at start-up; a broken file refuses to start, naming file and key.
CMD ["python", "-m", "bot", "run"]
