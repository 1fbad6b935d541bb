# The service image: Node 20, dependencies from the lock file (npm ci), run
# as the unprivileged "node" user, health-checked on /readyz.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    DATA_DIR=/data \
    GRPC_HOST=0.0.0.0 \
    GRPC_PORT=50051 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/gen ./gen
COPY --from=build /app/proto ./proto
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/bin ./bin
# The operator command (tokens, backup, restore) on the PATH: docker compose exec oidc-settings oidc-settings --help
RUN ln -s /app/bin/oidc-settings.js /usr/local/bin/oidc-settings && mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 50051 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HTTP_PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-old-space-size=128", "--max-semi-space-size=8", "dist/src/main.js"]
