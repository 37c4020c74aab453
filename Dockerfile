# Overdue's worker and API image. `node` is the entry point (not npm), so SIGTERM from Docker reaches the
# process, which drains its workers before it exits; it runs as the unprivileged `node` user.
FROM node:20.20.0-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --chown=node:node . .
# The workflow bundle, built once from the code just copied: a worker that bundles at start-up spends
# seconds of CPU on it and keeps about 100 MB more resident memory (README, Benchmarks: worker memory).
RUN node --import tsx scripts/bundle-workflows.ts /app/.build/workflow-bundle.js
ENV WORKFLOW_BUNDLE=/app/.build/workflow-bundle.js
# The worker's memory settings (worker/config.ts, workerProcessEnv): 2 glibc arenas, and 2 MB V8
# semi-spaces; both keep its resident memory flat as loans open (README, Benchmarks: worker memory).
ENV MALLOC_ARENA_MAX=2
USER node
ENTRYPOINT ["node", "--max-semi-space-size=2", "--import", "tsx"]
# The worker by default; the API is `scripts/api.ts`, the one-shot migration `scripts/db-migrate.ts`.
CMD ["worker/main.ts"]
