/**
 * @file The limits a user of the edge worker meets (examples/edge/README.md):
 * per runtime (workerd, Deno) and image size, a request's wall time (median
 * of `--repeat`), the CPU time the runtime process spent on it (utime+stime
 * from /proc, Linux; what Cloudflare's CPU limit counts), tfjs-backend-wasm's
 * heap after it (it only grows), the live JavaScript peak where the runtime
 * tells it (Deno: heap plus ArrayBuffers after a collection, sampled between
 * tiles), and the process's resident set. Sizes run in ascending order in
 * one isolate, as a long-lived worker would see them. The worker is
 * bench/edge-probe.worker.ts (the example's worker plus memory headers, with
 * the pixel limit raised so sizes past the default can be measured).
 *
 * Run: node --import tsx bench/edge-limits.bench.ts [--runtimes workerd,deno] [--style 256,512,1024,1536,2048] [--sr 64,128,256,512] [--repeat 3]
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { argument, median } from './bench-args.js';

type Built = { workerd: { config: string }; deno: { file: string } };
const { buildEdge } = (await import('../examples/edge/build.mjs' as string)) as { buildEdge(o: { outdir: string; entry: string }): Promise<Built> };
const { freePort, runtimeUnavailable, startRuntime } = (await import('../examples/edge/serve-local.mjs' as string)) as {
  freePort(): Promise<number>;
  runtimeUnavailable(name: string): string | null;
  startRuntime(name: string, o: { built: Built; port: number; timeoutMs?: number; flags?: string[] }): Promise<{ url: string; pid: number; log(): string; stop(): Promise<void> }>;
};

const RUNTIMES = argument('runtimes', 'workerd,deno').split(',');
const STYLE = argument('style', '256,512,1024,1536,2048').split(',').map(Number);
const SR = argument('sr', '64,128,256,512').split(',').map(Number);
const REPEAT = Number(argument('repeat', '3'));
const MIB = 1024 * 1024;

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name; clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** POSTs a PNG with node:http, which (unlike fetch) has no time limit for a slow answer. */
function post(url: string, body: Buffer): Promise<{ status: number; headers: Map<string, string>; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'image/png', 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: new Map(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A smooth test card (PNG compresses it like a photo, not like noise). */
async function card(size: number): Promise<Buffer> {
  const data = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const i = (y * size + x) * 3;
      data[i] = (x * 255) / size;
      data[i + 1] = (y * 255) / size;
      data[i + 2] = 128 + 100 * Math.sin((x + y) / 17);
    }
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

async function measure(runtime: string, built: Built): Promise<void> {
  // Deno: the probe collects garbage before each memory sample, so the JS figure is live memory.
  const flags = runtime === 'deno' ? ['--v8-flags=--expose-gc'] : [];
  const served = await startRuntime(runtime, { built, port: await freePort(), timeoutMs: 60_000, flags });
  try {
    const idle = statusMiB(served.pid, 'VmRSS');
    console.log(`\n### ${runtime}\n\nidle after start: ${idle.toFixed(0)} MiB RSS\n`);
    console.log('| route | input | output | median wall s | median CPU s | WASM heap after, MiB | live JS peak (Deno), MiB | RSS after / peak, MiB |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    const run = async (route: string, sizes: number[], scale: number): Promise<void> => {
      for (const size of sizes) {
        const body = await card(size);
        const walls: number[] = [];
        const cpu: number[] = [];
        let headers: Map<string, string> | undefined;
        let failure = '';
        for (let r = 0; r < REPEAT && failure === ''; r += 1) {
          const cpuBefore = cpuSeconds(served.pid);
          const started = performance.now();
          const response = await post(`${served.url}${route}`, body);
          const answer = response.body;
          walls.push((performance.now() - started) / 1000);
          cpu.push(cpuSeconds(served.pid) - cpuBefore);
          headers = response.headers;
          if (response.status !== 200) failure = `HTTP ${response.status}: ${new TextDecoder().decode(answer).slice(0, 160)}`;
        }
        const mib = (name: string) => (headers?.get(name.toLowerCase()) ? (Number(headers.get(name.toLowerCase())) / MIB).toFixed(0) : '-');
        console.log(
          `| ${route} | ${size}x${size} | ${failure || `${size * scale}x${size * scale}`} | ${median(walls).toFixed(2)} | ${median(cpu).toFixed(2)} | ${mib('X-Wasm-Heap-Bytes')} | ${mib('X-Js-Peak-Bytes')} | ${statusMiB(served.pid, 'VmRSS').toFixed(0)} / ${statusMiB(served.pid, 'VmHWM').toFixed(0)} |`,
        );
        if (failure !== '') break;
      }
    };
    await run('/v1/stylize/wave', STYLE, 1);
    await run('/v1/upscale/sr-x4', SR, 4);
  } finally {
    await served.stop();
  }
}

console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.versions.node}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`command: node --import tsx bench/edge-limits.bench.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
const work = await mkdtemp(join(tmpdir(), 'perceptual-edge-bench-'));
try {
  const built = await buildEdge({ outdir: work, entry: fileURLToPath(new URL('./edge-probe.worker.ts', import.meta.url)) });
  for (const runtime of RUNTIMES) {
    const unavailable = runtimeUnavailable(runtime);
    if (unavailable !== null) console.log(`SKIP ${runtime}: ${unavailable}`);
    else await measure(runtime, built);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
