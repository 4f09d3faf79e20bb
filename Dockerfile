# Runway's API and worker image (docker-compose.yml). The Temporal CLI binaries are not needed in
# production: the server runs as its own service.
FROM node:20-bookworm-slim
WORKDIR /app
ENV RUNWAY_SKIP_TEMPORAL_BINARIES=1 NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev
COPY . .
# Bundle the workflows once at image build; workers then start without bundling.
RUN node --import tsx scripts/bundle-workflows.ts /app/dist/workflow-bundle.js
ENV RUNWAY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
USER node
