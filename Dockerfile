# The s2i-bot GitHub App as a container image: `docker build -t s2i-bot .`
#
# Build arguments (all optional):
#   BASE         the image the bot runs on (default node:20-bookworm-slim); Node.js 20.18.1 or newer, with a shell.
#   BUILD_BASE   the image dependencies are installed and compiled in (default: BASE). It needs npm, and g++, make
#                and python3 only where no prebuilt better-sqlite3 binary can be downloaded.
#   NPM_CA_FILE  a PEM bundle in the build context that npm trusts, for builds behind a TLS-intercepting proxy
#                (let it in with a `!` line in .dockerignore). Only the install stage uses it; the image never
#                contains it.
#   HTTP_PROXY, HTTPS_PROXY, NO_PROXY are Docker's predefined build arguments: npm reads them, and Docker keeps
#   them out of the image's history.
#
# Written for both the legacy builder and BuildKit, so no RUN --mount: the CA comes through the context instead.
ARG BASE=node:20-bookworm-slim
ARG BUILD_BASE=${BASE}

# All dependencies, installed from the lockfile. npm ci reads from package.json only what the lockfile's root entry
# repeats (dependencies, engines), so that entry stands in for it: this stage, the slow one, depends on the lockfile
# alone and survives edits to the code and to the scripts. Scripts are skipped (the package's own `prepare` compiles
# TypeScript, which is not there yet) and the one dependency the bot needs compiled is built on its own.
FROM ${BUILD_BASE} AS deps
WORKDIR /app
ARG NPM_CA_FILE=
# Without NPM_CA_FILE the last source is the lockfile again: an empty one would copy the whole context.
COPY package-lock.json ${NPM_CA_FILE:-package-lock.json} ./
RUN set -eu; \
    if [ -n "$NPM_CA_FILE" ]; then export NODE_EXTRA_CA_CERTS="/app/$(basename "$NPM_CA_FILE")"; fi; \
    node -e 'const fs = require("fs"); \
      const root = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages[""]; \
      fs.writeFileSync("package.json", JSON.stringify(root));'; \
    npm ci --ignore-scripts --no-audit --no-fund; \
    npm rebuild better-sqlite3

FROM deps AS build
COPY package.json tsconfig.json ./
COPY src ./src
RUN npm run build

# Production dependencies only; better-sqlite3 keeps its compiled module and drops its sources and objects.
FROM deps AS prod-deps
RUN set -eu; \
    npm prune --omit=dev --ignore-scripts --no-audit --no-fund; \
    cd node_modules/better-sqlite3; \
    rm -rf deps src build/deps build/Release/obj build/Release/obj.target build/Release/.deps \
      build/Release/test_extension.node build/Release/*.a

FROM ${BASE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    S2I_DATA_DIR=/var/lib/s2i-bot
# The run store's directory, writable by the bot's user when no volume is mounted there.
RUN mkdir -p /var/lib/s2i-bot && chown 10001:10001 /var/lib/s2i-bot
WORKDIR /app
# Dependencies before the code: they change less often, so a code change ships as one small layer.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json app.yml ./
COPY templates ./templates
COPY --from=build /app/dist ./dist
# Any uid works (Kubernetes may pick one); the files belong to root, so the bot cannot change its own code.
USER 10001:10001
EXPOSE 3000
# SIGTERM (docker stop, a pod's deletion) drains: running builds get S2I_SHUTDOWN_GRACE_SECONDS to finish.
CMD ["node", "--max-semi-space-size=2", "dist/src/main.js"]
