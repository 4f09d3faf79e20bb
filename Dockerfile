# Runway's API and worker image (docker-compose.yml). The Temporal CLI binaries are not needed in
# production: the server runs as its own service.
FROM node:20-bookworm-slim
# pg_dump and pg_restore for release backups (R-RB-DB). pg_dump must be at least the server's major
# version: Debian bookworm's PostgreSQL 15, the major version of docker-compose.yml's server. Named
# by folder, so a newer client installed beside it later does not change which one backs up.
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client-15 \
  && rm -rf /var/lib/apt/lists/*
ENV RUNWAY_PG_BIN=/usr/lib/postgresql/15/bin
WORKDIR /app
ENV RUNWAY_SKIP_TEMPORAL_BINARIES=1 NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev
COPY . .
# Bundle the workflows once at image build; workers then start without bundling.
RUN node --import tsx scripts/bundle-workflows.ts /app/dist/workflow-bundle.js
# The demo services' driver commands (config/services/*.yml) run the demo's tools bundled in demo/dist.
RUN node --import tsx scripts/bundle-demo-programs.ts
ENV RUNWAY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
USER node
