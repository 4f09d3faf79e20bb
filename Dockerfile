# Runway's API and worker image (docker-compose.yml). The Temporal CLI binaries are not needed in
# production: the server runs as its own service.
FROM node:20-bookworm-slim
WORKDIR /app
ENV RUNWAY_SKIP_TEMPORAL_BINARIES=1 NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev
COPY . .
USER node
