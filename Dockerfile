# Oncilla, the clustered tracker for GazellePW (see docs/gazellepw.md).
#
#   docker build -t oncilla .
#   docker run -e TRACKER_SITE_PASSWORD=... -e TRACKER_REPORT_PASSWORD=... -e TRACKER_MYSQL_HOST=... oncilla
#
# Configuration: TRACKER_* environment variables (docs/configuration.md), or a mounted
# ocelot.conf: `docker run -v /path/ocelot.conf:/etc/oncilla/ocelot.conf:ro oncilla \
#   node apps/tracker/dist/main.js -c /etc/oncilla/ocelot.conf` (the environment wins over the file).

# ---- build: every dependency, TypeScript compiled to dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The manifests first, so `npm ci` stays cached until a dependency changes.
COPY package.json package-lock.json ./
COPY packages/config/package.json packages/config/
COPY packages/database/package.json packages/database/
COPY packages/protocol/package.json packages/protocol/
COPY packages/rows/package.json packages/rows/
COPY packages/swarm-store/package.json packages/swarm-store/
COPY packages/testkit/package.json packages/testkit/
COPY apps/tracker/package.json apps/tracker/
COPY apps/bench/package.json apps/bench/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages/ packages/
COPY apps/ apps/
RUN npm run build

# ---- runtime: production dependencies and the compiled code only ----
FROM node:20-bookworm-slim AS runtime
# tini is PID 1: it passes SIGTERM, SIGHUP and SIGUSR1 on to the tracker's primary process
# and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Every workspace manifest, so the workspace links in node_modules/@oncilla/ resolve.
COPY package.json package-lock.json ./
COPY packages/config/package.json packages/config/
COPY packages/database/package.json packages/database/
COPY packages/protocol/package.json packages/protocol/
COPY packages/rows/package.json packages/rows/
COPY packages/swarm-store/package.json packages/swarm-store/
COPY packages/testkit/package.json packages/testkit/
COPY apps/tracker/package.json apps/tracker/
COPY apps/bench/package.json apps/bench/
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force
# The compiled packages the tracker runs on (testkit and bench are for tests only).
COPY --from=build /app/packages/config/dist packages/config/dist
COPY --from=build /app/packages/database/dist packages/database/dist
COPY --from=build /app/packages/protocol/dist packages/protocol/dist
COPY --from=build /app/packages/rows/dist packages/rows/dist
COPY --from=build /app/packages/swarm-store/dist packages/swarm-store/dist
COPY --from=build /app/apps/tracker/dist apps/tracker/dist
# The Lua scripts are loaded at run time from /app/redis (relative to packages/swarm-store/dist).
COPY redis/ redis/
COPY packages/database/sql/ packages/database/sql/
USER node
EXPOSE 34000
# /ready: 200 while a worker reaches Redis and is not draining. node's own fetch (no curl in slim).
# The port follows TRACKER_LISTEN_PORT; a port set only in a mounted ocelot.conf is not seen here.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TRACKER_LISTEN_PORT || 34000) + '/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/tracker/dist/main.js"]
