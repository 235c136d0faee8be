/**
 * @file Runs the built edge worker locally in workerd or Deno, from their
 * npm packages (devDependencies `workerd` and `deno`), on 127.0.0.1, and
 * waits until it answers `GET /healthz`. Used by the end-to-end test
 * (test/serve/edge-runtimes.test.ts) and bench/edge-limits.bench.ts, and by
 * hand:
 *
 *   node examples/edge/serve-local.mjs workerd [--port 8787]
 *   node examples/edge/serve-local.mjs deno [--port 8787]
 *
 * builds into examples/edge/dist and serves until Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The runtimes this script starts. */
export const RUNTIMES = Object.freeze(['workerd', 'deno']);

/**
 * The runtime's executable from its npm package, or null when the package
 * or its platform binary is not installed. workerd's own `bin` is a Node
 * shim in front of `@cloudflare/workerd-<platform>`; deno's install step
 * links the binary from `@deno/<platform>` into its package (without the
 * install step, as with --ignore-scripts, it is taken from there).
 * @param {'workerd' | 'deno'} name
 * @returns {string | null}
 */
export function runtimeBinary(name) {
  try {
    if (name === 'workerd') {
      const os = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform];
      const arch = { x64: '64', arm64: 'arm64' }[process.arch];
      const path = require.resolve(`@cloudflare/workerd-${os}-${arch}/bin/workerd${process.platform === 'win32' ? '.exe' : ''}`);
      return existsSync(path) ? path : null;
    }
    const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
    const linked = join(dirname(require.resolve('deno/package.json')), exe);
    if (existsSync(linked)) return linked;
    // Installed with --ignore-scripts: the binary is still in its platform package.
    const target = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-glibc' : ''}`;
    const path = join(dirname(require.resolve(`@deno/${target}/package.json`)), exe);
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/**
 * Why `runtime` cannot run here (its binary is missing, or does not start:
 * e.g. a C library older than the one it was built for), or null when it runs.
 * @param {'workerd' | 'deno'} name
 * @returns {string | null}
 */
export function runtimeUnavailable(name) {
  const binary = runtimeBinary(name);
  if (binary === null) return `its npm package or platform binary (devDependency ${name}) is not installed`;
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } });
  if (probe.status !== 0) return `${binary} --version failed: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0]}`;
  return null;
}

/** A free TCP port on 127.0.0.1. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `runtime` serving the build of build.mjs (`built`) on 127.0.0.1:`port`.
 * @param {'workerd' | 'deno'} runtime
 * @param {{ built: { workerd: { config: string }, deno: { file: string } }, port: number, timeoutMs?: number, echo?: boolean, flags?: string[], ready?: (response: Response) => boolean }} options
 *   echo: also copy the runtime's output to this process's stderr; flags: more options for the runtime's `serve`;
 *   ready: when /healthz's answer means started (default: a 2xx)
 * @returns {Promise<{ url: string, pid: number, log(): string, stop(): Promise<void> }>}
 * @throws Error when the binary is missing, the runtime exits, or /healthz does not answer in time (default 30 s)
 */
export async function startRuntime(runtime, { built, port, timeoutMs = 30_000, echo = false, flags = [], ready = (response) => response.ok }) {
  const binary = runtimeBinary(runtime);
  if (binary === null) throw new Error(`${runtime} is not installed: run npm ci (it is a devDependency)`);
  const args =
    runtime === 'workerd'
      ? ['serve', ...flags, built.workerd.config, '--socket-addr', `http=127.0.0.1:${port}`]
      : ['serve', ...flags, '--host', '127.0.0.1', '--port', String(port), built.deno.file];
  let log = '';
  // DENO_NO_UPDATE_CHECK: deno otherwise asks the network whether a newer release exists.
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      log += chunk;
      if (echo) process.stderr.write(chunk);
    });
  }
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  // SIGTERM lets the runtime finish; one busy in a long synchronous job is killed after 5 s.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${runtime} exited with code ${child.exitCode}: ${log}`);
    if (await fetch(`${url}/healthz`).then(ready, () => false)) return { url, pid: child.pid, log: () => log, stop };
    await new Promise((wait) => setTimeout(wait, 200));
  }
  await stop();
  throw new Error(`${runtime} did not answer ${url}/healthz within ${timeoutMs} ms: ${log}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const runtime = process.argv[2];
  if (!RUNTIMES.includes(runtime)) {
    console.error(`usage: node examples/edge/serve-local.mjs ${RUNTIMES.join('|')} [--port 8787]`);
    process.exit(2);
  }
  const at = process.argv.indexOf('--port');
  const port = at > 0 ? Number(process.argv[at + 1]) : 8787;
  const { buildEdge } = await import('./build.mjs');
  const built = await buildEdge();
  const served = await startRuntime(runtime, { built, port, echo: true });
  console.log(`${runtime} serves ${served.url}: POST ${served.url}/v1/stylize/wave, ${served.url}/v1/upscale/sr-x4 (Ctrl-C stops)`);
  process.once('SIGINT', () => void served.stop().then(() => process.exit(0)));
}
