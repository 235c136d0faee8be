# syntax=docker/dockerfile:1
# perceptual in a container: the HTTP service by default, any other command by
# arguments (the entrypoint is the CLI):
#
#   docker build -t perceptual .
#   docker run --init -p 8080:8080 perceptual
#   docker run --init --no-healthcheck -v /data:/data perceptual queue worker --redis redis://redis:6379
#
# Two stages: the build stage installs every dependency and compiles dist/;
# the runtime stage installs the production dependencies only (no TypeScript,
# esbuild, onnxruntime or test tools) and takes dist/, bin/ and the bundled
# models from the build. It runs as the image's unprivileged `node` user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not here yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle-tfjs-gradients.mjs scripts/
COPY src src
COPY workers workers
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build again (dist/ comes from the build stage); sharp and
# msgpackr load their prebuilt binaries from optional packages without install scripts.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin bin
COPY models/index.json models/*.safetensors models/
COPY --from=build /src/dist/src dist/src
COPY --from=build /src/dist/vendor dist/vendor
COPY --from=build /src/dist/workers dist/workers
USER node
EXPOSE 8080
# Only for `serve` (the default command); run other commands with --no-healthcheck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/perceptual.js"]
CMD ["serve", "--model", "wave", "--model", "sr-x4", "--host", "0.0.0.0", "--port", "8080"]
