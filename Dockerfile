# syntax=docker/dockerfile:1
# tradebot's images, from one file:
#   docker build -t tradebot .              the platform (API, worker, beat, telegram, migrate)
#   docker build -t tradebot-web --target web .   Nginx with the built dashboard
# Secrets come from the environment at run time (deploy/docker-compose.yml: env files);
# none is baked into an image.

# --- the dashboard, built once for both images ------------------------------------------
FROM node:24-bookworm-slim AS ui
WORKDIR /ui
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- Nginx: TLS, the dashboard's files, the API and its streams behind it ----------------
FROM nginx:1.27-bookworm AS web
COPY deploy/nginx/compose.conf /etc/nginx/conf.d/default.conf
COPY --from=ui /ui/dist /usr/share/nginx/html

# --- Python dependencies, in a virtualenv the runtime copies -----------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/tradebot
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src/ src/
RUN /opt/tradebot/bin/pip install .

# --- the runtime: slim, no compiler, a user without privileges ---------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 tradebot \
    && useradd --system --uid 10001 --gid tradebot --home-dir /data --create-home tradebot
COPY --from=build /opt/tradebot /opt/tradebot
COPY --from=ui /ui/dist /opt/tradebot-ui
COPY deploy/entrypoint.sh /usr/local/bin/tradebot-entrypoint
ENV PATH=/opt/tradebot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TRADEBOT_ENV=production \
    TRADEBOT_DATA_DIR=/data \
    UI_DIST_DIR=/opt/tradebot-ui \
    PROMETHEUS_MULTIPROC_DIR=/tmp/tradebot-metrics \
    API_HOST=0.0.0.0
USER 10001:10001
WORKDIR /data
EXPOSE 8000 9100
ENTRYPOINT ["tradebot-entrypoint"]
CMD ["api"]
