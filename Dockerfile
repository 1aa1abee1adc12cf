# syntax=docker/dockerfile:1
# One image recipe for every deployable app; pick the app with the APP build argument:
#
#   docker build --build-arg APP=order-service -t causeway/order-service .
#
# APP is one of the projects under apps/ tagged type:app (api-gateway, user-service,
# order-service, payment-service, notification-service). docker-compose.yml builds all five.

ARG NODE_VERSION=20
# Node 20: what the project is built, tested and benchmarked on (README's promise-hook costs are
# Node 20's). Debian slim rather than Alpine: the same C library (glibc) as the machines the tests
# run on, so the native packages (Nx, @swc/core) run the same prebuilt binaries the tests ran.
ARG NODE_IMAGE=node:${NODE_VERSION}-bookworm-slim
# `npm ci` (exactly the lock, or fail) through a pinned npm 10: npm 11, as on the development
# machines, refuses this lock in `npm ci` as "not in sync" because it leaves out sass-embedded's
# platform-only optional packages (pulled in by @nx/webpack), which is why scripts/ use
# `npm install`; npm 10 installs from the same lock as it is. Pinned rather than trusting whichever
# npm the base image bundles.
ARG NPM_VERSION=10.8.2

# ---- dependencies for the build: the whole lock, dev tools included ----------------------------
FROM ${NODE_IMAGE} AS deps
ARG NPM_VERSION
WORKDIR /workspace
COPY package.json package-lock.json ./
RUN npx --yes npm@${NPM_VERSION} ci --no-audit --no-fund

# ---- build the one app: webpack bundle with the workspace libs inlined --------------------------
FROM deps AS build
ARG APP
RUN test -n "${APP}" || { echo "set --build-arg APP=<app under apps/, e.g. order-service>" >&2; exit 1; }
COPY . .
# No daemon, no cloud, no terminal UI: a build container has none of them to talk to.
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
RUN npx nx build "${APP}" --outputStyle=static && test -f "dist/apps/${APP}/main.js"

# ---- production dependencies only: the bundle requires npm packages at run time ----------------
# A stage of its own so it is cached across the five apps (it does not depend on APP).
FROM ${NODE_IMAGE} AS prod-deps
ARG NPM_VERSION
WORKDIR /app
COPY package.json package-lock.json ./
RUN npx --yes npm@${NPM_VERSION} ci --omit=dev --no-audit --no-fund

# ---- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG APP
# HTTP_HOST: the settings default to 127.0.0.1 (a laptop); in a container that would answer only
# inside the container itself. CAUSEWAY_CONFIG: the settings file is found relative to the working
# directory otherwise, which an orchestrator may change.
ENV NODE_ENV=production \
    APP=${APP} \
    HTTP_HOST=0.0.0.0 \
    CAUSEWAY_CONFIG=/app/config/causeway.tsk
WORKDIR /app
# Owned by root and read-only to the app's user: the app writes nothing to its own files, so the
# container also runs with a read-only root filesystem (deploy/k8s).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /workspace/dist/apps/${APP} ./dist/apps/${APP}
COPY config/causeway.tsk ./config/causeway.tsk
# The node image's unprivileged user (uid 1000); numeric so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 3000 3001 3002 3003 3004
# exec: node becomes PID 1 and gets SIGTERM itself (Nest's shutdown hooks drain consumers and
# close pools on it); a shell in between would swallow the signal until the kill timeout.
CMD ["sh", "-c", "exec node --enable-source-maps dist/apps/${APP}/main.js"]
