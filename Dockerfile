# Runway's API and worker image (docker-compose.yml): the JavaScript `npm run build` compiles, run
# with plain node. The Temporal CLI binaries are not needed in production: the server runs as its
# own service.

# `npm run build`, as anywhere else: the type check (a type error stops the image), dist/ and the
# workflow bundle. The type check needs the devDependencies (typescript, @types/*); they stay here.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV RUNWAY_SKIP_TEMPORAL_BINARIES=1 RUNWAY_SKIP_FUZZ_TOOLS=1
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci
COPY . .
RUN npm run build
# The demo services' driver commands (config/services/*.yml) run the demo's tools bundled in demo/dist.
RUN node --import tsx scripts/bundle-demo-programs.ts

FROM node:20-bookworm-slim
# pg_dump and pg_restore for release backups (R-RB-DB). pg_dump must be at least the server's major
# version: Debian bookworm's PostgreSQL 15, the major version of docker-compose.yml's server. Named
# by folder, so a newer client installed beside it later does not change which one backs up.
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client-15 \
  && rm -rf /var/lib/apt/lists/*
ENV RUNWAY_PG_BIN=/usr/lib/postgresql/15/bin
WORKDIR /app
ENV RUNWAY_SKIP_TEMPORAL_BINARIES=1 RUNWAY_SKIP_FUZZ_TOOLS=1 NODE_ENV=production
COPY package.json package-lock.json ./
# The install scripts npm runs after installing; scripts/temporal-binaries.json also marks /app as
# the project folder, where compiled modules find the configuration (config/project-root.ts).
COPY scripts/*.mjs scripts/*.json ./scripts/
RUN npm ci --omit=dev
# What the processes read from the project folder: the configuration and the runbooks, and the files
# the demo's tools read beside demo/dist.
COPY config/*.yml ./config/
COPY config/environments ./config/environments
COPY config/services ./config/services
COPY runbooks/*.yml ./runbooks/
COPY demo/edm-web/config ./demo/edm-web/config
COPY demo/edm-web/migrations ./demo/edm-web/migrations
COPY --from=build /app/dist ./dist
COPY --from=build /app/demo/dist ./demo/dist
# Workers start on the prebuilt bundle instead of bundling; stack traces name the TypeScript lines.
ENV RUNWAY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js NODE_OPTIONS=--enable-source-maps
USER node
