/**
 * @file Memory of `perceptual serve` as a container runs it: the built CLI
 * (`node bin/perceptual.js`, so `npm run build` first), the bundled `wave`
 * and `sr-x4` models (`--models`), each in its default worker pool unless
 * `--workers`.
 * The resident set of the server process (VmRSS from /proc, Linux; the
 * worker threads' wasm heaps are in it) is sampled every 50 ms: after
 * start-up, then under requests (`--concurrency` at a time) of growing
 * size, stylised and upscaled; the peak (VmHWM) is what a memory limit must
 * hold. The figures size examples/k8s.
 *
 * Run: node --import tsx bench/serve-memory.bench.ts [--models wave,sr-x4] [--workers N] [--concurrency 4]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os';
import sharp from 'sharp';
import { argument } from './bench-args.js';

const MODELS = argument('models', 'wave,sr-x4').split(',');
const WORKERS = argument('workers', '');
const CONCURRENCY = Number(argument('concurrency', '4'));
/** Stylise these sizes (the largest is tiled), then upscale x4 these. */
const STYLE_SIZES = [[256, 256], [1024, 768], [1920, 1080], [3840, 2160]] as const;
const SR_SIZES = [[128, 128], [480, 270], [960, 540]] as const;

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function card(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length} (availableParallelism ${availableParallelism()}), ${platform()} ${release()}, Node ${process.versions.node}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`command: node --import tsx bench/serve-memory.bench.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  const args = ['bin/perceptual.js', 'serve', ...MODELS.flatMap((name) => ['--model', name]), '--port', '0', ...(WORKERS ? ['--workers', WORKERS] : [])];
  console.log(`server: node ${args.join(' ')}`);
  const server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout!.on('data', (chunk: Buffer) => {
        const found = /^(http:\/\/\S+)$/m.exec(chunk.toString());
        if (found) resolve(found[1]!);
      });
      server.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
    });
    const pid = server.pid!;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = status(pid, 'VmRSS');
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, status(pid, 'VmRSS'))), 50);
    const rows: string[] = [];
    const phase = async (route: string, sizes: readonly (readonly [number, number])[]): Promise<void> => {
      for (const [width, height] of sizes) {
        const body = new Uint8Array(await card(width, height));
        const started = performance.now();
        const answers = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => fetch(`${url}${route}`, { method: 'POST', body, headers: { 'Content-Type': 'image/jpeg' } }).then(async (r) => [r.status, (await r.arrayBuffer()).byteLength])),
        );
        if (answers.some(([code]) => code !== 200)) throw new Error(`${route} ${width}x${height}: ${JSON.stringify(answers)}`);
        rows.push(`| ${route} | ${width}x${height} x${CONCURRENCY} | ${((performance.now() - started) / 1000).toFixed(1)} | ${status(pid, 'VmRSS').toFixed(0)} | ${peak.toFixed(0)} |`);
      }
    };
    if (MODELS.includes('wave')) await phase('/v1/stylize/wave', STYLE_SIZES);
    if (MODELS.includes('sr-x4')) await phase('/v1/upscale/sr-x4', SR_SIZES);
    clearInterval(sampler);
    const health = await (await fetch(`${url}/healthz`)).json();
    console.log(`\nidle after start: ${idle.toFixed(0)} MiB RSS; /healthz ${JSON.stringify(health)}\n`);
    console.log('| route | images at once | s | RSS after, MiB | peak RSS so far (50 ms samples), MiB |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    console.log(`\npeak RSS (VmHWM): ${status(pid, 'VmHWM').toFixed(0)} MiB`);
  } finally {
    server.kill('SIGTERM');
  }
}

await main();
