/**
 * @file Helpers for the queue suites: a throw-away Debian `redis-server` on
 * 127.0.0.1 (no persistence, in a temp folder), `perceptual queue worker`
 * processes spawned from the sources, small test images, and polling.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';

/** The redis-server binary, or null when it is not installed. */
export function findRedisServer(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** True once Redis answers PING on `port`. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(500);
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/** A running redis-server. */
export interface RedisServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `binary` on a free port with persistence off, its files in `dir`. */
export async function startRedis(binary: string, dir: string): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port} (exit ${child.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A `perceptual queue worker` process run from the sources, its output collected. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr matches `pattern`; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnWorker(args: readonly string[]): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'queue', 'worker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      waitUntil(() => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the worker exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${err}`);
        return pattern.test(err);
      }, timeoutMs, () => `the worker did not print ${pattern} in time:\n${err}`),
  };
}

/** Polls `check` every 50 ms until it is true. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A size x size PNG of seeded pseudo-random colours. */
export async function writeNoisePng(path: string, size: number, seed: number): Promise<void> {
  const data = Buffer.alloc(size * size * 3);
  let state = seed * 2654435761 + 1;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path);
}

/** The largest difference in 8-bit levels between two image files' RGB pixels (Infinity for different sizes). */
export async function maxLevelDifference(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((path) => sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  if (x!.info.width !== y!.info.width || x!.info.height !== y!.info.height) return Infinity;
  let max = 0;
  for (let i = 0; i < x!.data.length; i++) max = Math.max(max, Math.abs(x!.data[i]! - y!.data[i]!));
  return max;
}

/** Every file below `dir` (hidden ones too), as sorted `/`-separated relative names. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? (entry as { path?: string }).path ?? dir, entry.name)).split('\\').join('/'))
    .sort();
}
