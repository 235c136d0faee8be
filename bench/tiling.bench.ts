/**
 * @file Seamless tiling: (1) at 512x512, an image that fits whole, the PSNR of
 * tiled against whole-image output: shared whole-image statistics, per-tile
 * statistics (seams, for contrast) and statistics from a mosaic of crops;
 * (2) a 3840x2160 image through the worker pool: wall time and peak RSS of a
 * child process that holds the pool (maxRSS counts every thread, so the
 * workers' WASM heaps are included). Style network width 1, random weights
 * (seed 1); backend wasm in every thread.
 *
 * Run: node --import tsx bench/tiling.bench.ts [--workers N] [--tile T] [--size WxH] [--skip-psnr] [--skip-4k] [--model path]
 * (`--size` replaces 3840x2160 for cheaper experiments; the child prints its RSS every 10 s.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, DEFAULT_STYLE_ARCH, inferImage, initParams, loadTransformModel, saveModel, selectBackend, type TransformModel } from '../src/index.js';
import { inferImageWithStatistics } from '../src/infer/statistics-options.js';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const value = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};

/** A deterministic photo-like test card: smooth gradients, edges and some noise. */
function testCard(width: number, height: number): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(width * height * 3);
  let s = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const disc = (u - 0.6) ** 2 + (v - 0.4) ** 2 < 0.05 ? 60 : 0;
      for (let c = 0; c < 3; c++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const base = 90 + 80 * Math.sin(6 * u + 2 * c) * Math.cos(4 * v) + (c === 2 ? 60 * v : 0) + disc + (((s >>> 16) % 16) - 8);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base)));
      }
    }
  }
  return { data, width, height };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / sum);
}

async function benchPsnr(model: TransformModel, label: string): Promise<void> {
  const image = testCard(512, 512);
  let t = performance.now();
  const whole = await inferImage(model, image, { tiling: 'never' });
  console.log(`[psnr] ${label} 512x512 whole: ${(performance.now() - t).toFixed(0)} ms`);
  const cases: Array<[string, Parameters<typeof inferImageWithStatistics>[2]]> = [
    ['tile 256, shared whole-image statistics (default)', { tiling: 'always', tile: 256 }],
    ['tile 256, per-tile statistics (naive)', { tiling: 'always', tile: 256, normStats: 'per-tile' }],
    ['tile 256, statistics from a 256x256 mosaic of 128 crops', { tiling: 'always', tile: 256, statsSize: 256, statsFrom: 'mosaic' }],
    ['tile 256, statistics from the image downscaled to 256x256', { tiling: 'always', tile: 256, statsSize: 256, statsFrom: 'downscaled' }],
    ['tile 128, shared whole-image statistics', { tiling: 'always', tile: 128 }],
  ];
  for (const [name, options] of cases) {
    t = performance.now();
    const out = await inferImageWithStatistics(model, image, options);
    console.log(`[psnr] ${label} ${name}: ${psnr(whole.data, out.data).toFixed(2)} dB (${(performance.now() - t).toFixed(0)} ms)`);
  }
}

/** Child mode: run one width x height image through a pool, print time and this process's peak RSS. */
async function child(modelPath: string, workers: number, tile: number | undefined, width: number, height: number): Promise<void> {
  const image = testCard(width, height);
  let t = performance.now();
  const began = t;
  // RSS over time (stderr, so the last stdout line stays the JSON result): growth shows whether memory is set once or leaks.
  const sampler = setInterval(() => console.error(`[rss] ${((performance.now() - began) / 1000).toFixed(0)} s: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`), 10_000);
  const pool = await createPool({ model: modelPath, workers, timeoutMs: 0, ...(tile ? { tile } : {}) });
  const startup = performance.now() - t;
  t = performance.now();
  const out = await pool.run(image);
  const elapsed = performance.now() - t;
  await pool.close();
  clearInterval(sampler);
  const maxRss = process.resourceUsage().maxRSS / 1024; // kB -> MB
  console.log(JSON.stringify({ width: out.width, height: out.height, workers, tile: tile ?? 'default', startupMs: Math.round(startup), runMs: Math.round(elapsed), maxRssMB: Math.round(maxRss) }));
}

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, Number(args[2]), args[3] !== 'default' ? Number(args[3]) : undefined, Number(args[4]), Number(args[5]));
  const runtime = await selectBackend({ backend: 'wasm' });
  console.log(`backend ${runtime.backend} (${JSON.stringify(runtime.details)}), ${cpus()[0]?.model ?? 'cpu'} x ${availableParallelism()}`);
  const model: TransformModel = { arch: DEFAULT_STYLE_ARCH, params: initParams(DEFAULT_STYLE_ARCH, 1), provenance: {} };
  if (!flag('skip-psnr')) {
    await benchPsnr(model, 'johnson w1 random');
    const extra = value('model', '');
    if (extra) await benchPsnr(await loadTransformModel(extra), extra);
  }
  if (!flag('skip-4k')) {
    const dir = mkdtempSync(join(tmpdir(), 'perceptual-bench-'));
    try {
      const path = join(dir, 'style-w1.safetensors');
      await saveModel(path, model);
      const workers = Number(value('workers', String(availableParallelism())));
      const self = fileURLToPath(import.meta.url);
      const [width, height] = value('size', '3840x2160').split('x').map(Number) as [number, number];
      const tile = value('tile', 'default');
      // stderr (the RSS samples) goes straight to this terminal.
      const output = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', path, String(workers), tile, String(width), String(height)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      console.log(`[4k] ${width}x${height} through the pool: ${output.trim().split('\n').pop()}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
