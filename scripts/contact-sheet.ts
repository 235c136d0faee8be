/**
 * @file Contact sheets: one labelled PNG grid of what models make.
 *
 *   node --import tsx scripts/contact-sheet.ts style [IMAGE...] [-o FILE] [--models a,b] [--ml5 wave,udnie|all] [--size 256]
 *   node --import tsx scripts/contact-sheet.ts sr [HR_IMAGE...] [-o FILE] [--models a,b] [--lr-dir DIR] [--crop 192]
 *
 * style: a row per model (the bundled style models, then any ml5 checkpoints
 * from ../shared/data/ml5-style for comparison), a column per input image.
 * sr: a row per image; columns: LR input, bicubic, each model, ground truth,
 * as centre crops at HR size.
 *
 * Licensing: nothing from ../shared/data (Kodak, Set5, BSDS, style images)
 * may be copied, cropped or resized into the repository. So by default the
 * sheet is publishable: it shows an input (and, for SR, its LR, bicubic and
 * ground truth, which are resized copies of it) only for images the project
 * made itself (examples/, rendered by scripts/render-example.ts); for any
 * other image only the models' outputs, labelled with the input's file name.
 * --with-inputs shows every input too, for local viewing only: then the
 * output must lie outside the repository or on a git-ignored path (out/).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import sharp, { type OverlayOptions } from 'sharp';
import { writeFileAtomic } from '../src/atomic-write.js';
import { readImage } from '../src/data/image-io.js';
import { tensorToRgb } from '../src/data/image-tensor.js';
import { degradeForSr } from '../src/data/sr-degradation.js';
import { errorCode } from '../src/errors.js';
import { listImages, matchByName } from '../src/eval/image-folder.js';
import { inferImage } from '../src/infer/infer-image.js';
import { quantise } from '../src/infer/infer-region.js';
import { cutRgb, downscaleRgb } from '../src/infer/rgb-image.js';
import type { RgbImage } from '../src/pixels.js';
import { bicubicUpscale, quantizeImage } from '../src/metrics/index.js';
import { type BackendName, selectBackend } from '../src/runtime/index.js';
import type { TransformModel } from '../src/types.js';
import { loadTransformModel } from '../src/weights/load-transform-model.js';
import { bundledModels, resolveModel } from '../src/weights/model-registry.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SHARED = join(ROOT, '..', 'shared', 'data');
const EXAMPLE = join(ROOT, 'examples', 'example.png');
const HELP = `Usage:
  node --import tsx scripts/contact-sheet.ts style [IMAGE...] [options]
  node --import tsx scripts/contact-sheet.ts sr [HR_IMAGE...] [options]

  -o, --output FILE   the PNG (default out/contact-TASK.png; with --with-inputs out/contact-TASK-local.png)
  --models A,B        bundled model names or model files (default: every bundled model of the task)
  --ml5 A,B|all       style: also rows for ml5 checkpoints in ../shared/data/ml5-style/<name>
  --size PX           style: inputs are reduced to this long side before stylising (default 256)
  --lr-dir DIR        sr: LR inputs matched to the HR images by name (default with the default inputs:
                      ../shared/data/sr/Set5/LR_bicubic_x4); an image without one is degraded
                      with MATLAB-style bicubic, as the benchmarks' LR files
  --crop PX           sr: centre crop shown, in HR pixels (default 192)
  --with-inputs       also show held-out inputs (SR: LR, bicubic, ground truth). LOCAL VIEWING ONLY:
                      they are third-party images, so the output must be outside the repository
                      or git-ignored (out/ is); never commit such a sheet.
  --backend NAME      tfjs backend (default: the best that loads)

Default inputs: style examples/example.png + Kodak kodim05, kodim15, kodim23; sr examples/example.png + Set5.
By default only images under examples/ (made by this project) are shown as inputs.`;

/** One grid cell: an image, or a grey box with a note. */
type Cell = { image: RgbImage } | { note: string };
interface Row {
  label: string[];
  cells: Cell[];
}
const HIDDEN: Cell = { note: 'held-out photo: not shown' };

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    output: { type: 'string', short: 'o' },
    models: { type: 'string' },
    ml5: { type: 'string' },
    size: { type: 'string', default: '256' },
    'lr-dir': { type: 'string' },
    crop: { type: 'string', default: '192' },
    'with-inputs': { type: 'boolean', default: false },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const task = positionals[0];
if (opts.help || (task !== 'style' && task !== 'sr')) {
  console.log(HELP);
  process.exit(opts.help ? 0 : 2);
}
const withInputs = opts['with-inputs']!;
const size = positive('--size', opts.size!);
const crop = positive('--crop', opts.crop!);
const output = resolve(opts.output ?? join(ROOT, 'out', `contact-${task}${withInputs ? '-local' : ''}.png`));
if (withInputs) checkLocalOnly(output);
const runtime = await selectBackend({ purpose: 'infer', ...(opts.backend ? { backend: opts.backend as BackendName } : {}) });
console.error(`backend: ${runtime.backend} (${runtime.reason})`);

/** Whether an image may be shown: the project's own (under examples/), or anything with --with-inputs. */
function shown(path: string): boolean {
  return withInputs || (existsSync(path) && realpathSync(path).startsWith(join(ROOT, 'examples') + sep));
}

/** Refuses a --with-inputs sheet inside the repository unless git ignores the path. */
function checkLocalOnly(path: string): void {
  const inside = relative(ROOT, path);
  if (inside.startsWith('..')) return;
  try {
    execFileSync('git', ['-C', ROOT, 'check-ignore', '-q', inside], { stdio: 'ignore' });
  } catch {
    console.error(`contact-sheet: --with-inputs shows third-party images, so ${inside} must not be committable. Write it under out/ (git-ignored) or outside the repository.`);
    process.exit(2);
  }
}

function positive(name: string, value: string): number {
  const number = Number(value);
  if (Number.isInteger(number) && number > 0) return number;
  console.error(`contact-sheet: ${name} must be a positive integer of pixels (received "${value}").`);
  return process.exit(2);
}

async function readRgb(path: string): Promise<RgbImage> {
  const tensor = await readImage(path);
  try {
    return await tensorToRgb(tensor);
  } finally {
    tensor.dispose();
  }
}

/** The models to show: `--models` (names or files) or every bundled model of the task. */
async function modelRows(): Promise<{ path: string; label: string[] }[]> {
  if (opts.models === undefined) {
    return (await bundledModels()).filter((m) => m.task === task).map((m) => ({ path: m.file, label: [m.name, m.default ? 'bundled, default' : 'bundled'] }));
  }
  const names = opts.models.split(',').filter((n) => n !== '');
  return Promise.all(names.map(async (name) => ({ path: await resolveModel(name), label: [basename(name).replace(/\.safetensors$/, ''), 'model'] })));
}

/** Loads a model and checks its task. Caller disposes its params. */
async function load(path: string): Promise<TransformModel> {
  const model = await loadTransformModel(path);
  if (model.arch.task !== task) {
    tf.dispose(Object.values(model.params));
    console.error(`contact-sheet: ${path} is a "${model.arch.task}" model; a ${task} sheet needs "${task}" models (\`perceptual models\` lists them).`);
    process.exit(2);
  }
  return model;
}

async function styleSheet(): Promise<{ title: string[]; columns: string[]; rows: Row[] }> {
  const kodak = ['kodim05', 'kodim15', 'kodim23'].map((n) => join(SHARED, 'images', 'kodak', `${n}.png`));
  const paths = positionals.length > 1 ? positionals.slice(1) : [EXAMPLE, ...kodak.filter((p) => existsSync(p))];
  const inputs = await Promise.all(paths.map(async (path) => ({ path, image: downscaleRgb(await readRgb(path), size) })));
  const rows: Row[] = [];
  if (inputs.some((i) => shown(i.path))) rows.push({ label: ['input'], cells: inputs.map((i) => (shown(i.path) ? { image: i.image } : HIDDEN)) });
  const ml5Names = opts.ml5 === 'all' ? readdirSync(join(SHARED, 'ml5-style')).filter((n) => existsSync(join(SHARED, 'ml5-style', n, 'manifest.json'))).sort() : (opts.ml5?.split(',') ?? []);
  const sources = [...(await modelRows()), ...ml5Names.map((n) => ({ path: join(SHARED, 'ml5-style', n), label: [`ml5 ${n}`, 'checkpoint (MIT)'] }))];
  for (const source of sources) {
    const model = await load(source.path);
    try {
      const cells: Cell[] = [];
      for (const input of inputs) cells.push({ image: await inferImage(model, input.image) });
      rows.push({ label: source.label, cells });
      console.error(`${source.label[0]}: ${inputs.length} image(s)`);
    } finally {
      tf.dispose(Object.values(model.params));
    }
  }
  const note = withInputs ? 'LOCAL VIEWING ONLY: shows third-party photos; never commit this file.' : 'Held-out photos are not shown, only the outputs, labelled with the photo\'s file name.';
  return { title: [`perceptual style models: outputs at ${size} px long side`, note], columns: inputs.map((i) => basename(i.path)), rows };
}

async function srSheet(): Promise<{ title: string[]; columns: string[]; rows: Row[] }> {
  const set5 = join(SHARED, 'sr', 'Set5');
  const defaults = positionals.length <= 1;
  const paths = defaults ? [EXAMPLE, ...(existsSync(set5) ? (await readdir(join(set5, 'HR'))).sort().map((n) => join(set5, 'HR', n)) : [])] : positionals.slice(1);
  const lrDir = opts['lr-dir'] ?? (defaults && existsSync(set5) ? join(set5, 'LR_bicubic_x4') : undefined);
  const lrNames = lrDir === undefined ? [] : await listImages(lrDir, 'LR');
  const sources = await modelRows();
  const models: TransformModel[] = [];
  try {
    for (const source of sources) models.push(await load(source.path));
    const scales = new Set(models.map((m) => (m.arch.task === 'sr' ? m.arch.scale : 1)));
    if (scales.size !== 1) throw new Error(`the models have different scales (${[...scales].join(', ')}); pass --models with models of one scale.`);
    const scale = [...scales][0]!;
    const extras = withInputs || paths.some(shown);
    const rows: Row[] = [];
    for (const path of paths) {
      const full = await readRgb(path);
      const hr = cutRgb(full, { x: 0, y: 0, width: full.width - (full.width % scale), height: full.height - (full.height % scale) });
      const lrName = lrNames.find((n) => n === basename(path)) ?? (lrNames.length > 0 ? safeMatch(basename(path), lrNames, lrDir!) : undefined);
      const lr = lrName !== undefined ? await readRgb(join(lrDir!, lrName)) : degrade(hr, scale);
      if (lr.width * scale !== hr.width || lr.height * scale !== hr.height) {
        throw new Error(`the LR image ${join(lrDir!, lrName!)} is ${lr.width}x${lr.height}, but ${path} / ${scale} is ${hr.width / scale}x${hr.height / scale}. Pass the --lr-dir made for x${scale}.`);
      }
      const side = Math.min(crop, hr.width, hr.height);
      const rect = { x: Math.floor((hr.width - side) / 2), y: Math.floor((hr.height - side) / 2), width: side, height: side };
      const show = (image: RgbImage): Cell => (shown(path) ? { image: cutRgb(image, rect) } : HIDDEN);
      const bicubic = bicubicUpscale({ ...lr, channels: 3 }, scale);
      const cells: Cell[] = extras ? [show(nearest(lr, scale)), show({ ...bicubic, data: quantizeImage(bicubic).data })] : [];
      for (const model of models) cells.push({ image: cutRgb(await inferImage(model, lr), rect) });
      if (extras) cells.push(show(hr));
      rows.push({ label: [basename(path), lrName !== undefined ? 'LR: file' : 'LR: bicubic'], cells });
      console.error(`${basename(path)}: done`);
    }
    const columns = [...(extras ? [`LR x${scale} (nearest)`, 'bicubic'] : []), ...sources.map((s) => s.label[0]!), ...(extras ? ['ground truth'] : [])];
    const note = withInputs ? 'LOCAL VIEWING ONLY: shows third-party photos; never commit this file.' : 'Held-out photos: only model outputs (their LR, bicubic and ground truth are not shown).';
    return { title: [`perceptual x${scale} super-resolution: ${crop} px centre crops at HR size`, note], columns, rows };
  } finally {
    for (const model of models) tf.dispose(Object.values(model.params));
  }
}

function safeMatch(name: string, names: readonly string[], dir: string): string | undefined {
  try {
    return matchByName(name, names, dir, 'LR');
  } catch {
    return undefined; // no LR file of that name: degrade the HR image instead
  }
}

/** SPEC section 4's degradation of an 8-bit HR image, back to 8 bits (as eval sr without --lr). */
function degrade(hr: RgbImage, scale: number): RgbImage {
  const low = degradeForSr({ shape: [1, hr.height, hr.width, 3], data: Float32Array.from(hr.data, (v) => v / 255) }, scale, 'bicubic');
  return { data: quantise(low.data), width: low.shape[2], height: low.shape[1] };
}

/** Nearest-neighbour enlargement (shows the LR pixels at HR size). */
function nearest(image: RgbImage, scale: number): RgbImage {
  const width = image.width * scale;
  const height = image.height * scale;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 3;
      data.set(image.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

const esc = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fit = (text: string, px: number) => (text.length * 7.2 > px ? `${text.slice(0, Math.max(1, Math.floor(px / 7.2) - 1))}…` : text);

/** Lays out the grid: labels on the left, headers on top, one SVG for all text. */
async function render(sheet: { title: string[]; columns: string[]; rows: Row[] }): Promise<Uint8Array> {
  const GAP = 6, LABEL = 160, HEAD = 24, TITLE = 8 + 18 * sheet.title.length;
  const dims = (cell: Cell | undefined) => (cell && 'image' in cell ? cell.image : { width: 120, height: 60 });
  const widths = sheet.columns.map((_, j) => Math.max(...sheet.rows.map((r) => dims(r.cells[j]).width)));
  const heights = sheet.rows.map((r) => Math.max(...r.cells.map((c) => dims(c).height)));
  const xs = widths.map((_, j) => LABEL + GAP + widths.slice(0, j).reduce((a, w) => a + w + GAP, 0));
  const ys = heights.map((_, i) => TITLE + HEAD + heights.slice(0, i).reduce((a, h) => a + h + GAP, 0));
  const width = xs.at(-1)! + widths.at(-1)! + GAP;
  const height = ys.at(-1)! + heights.at(-1)! + GAP;
  const text: string[] = sheet.title.map((t, k) => `<text x="${GAP}" y="${20 + 18 * k}" font-size="${k === 0 ? 15 : 13}" font-weight="${k === 0 ? 'bold' : 'normal'}">${esc(t)}</text>`);
  sheet.columns.forEach((c, j) => text.push(`<text x="${xs[j]! + widths[j]! / 2}" y="${TITLE + HEAD - 8}" text-anchor="middle" font-size="13">${esc(fit(c, widths[j]!))}</text>`));
  const images: OverlayOptions[] = [];
  sheet.rows.forEach((row, i) => {
    row.label.forEach((l, k) => text.push(`<text x="${GAP}" y="${ys[i]! + heights[i]! / 2 + 16 * k - 8 * (row.label.length - 1) + 5}" font-size="${k === 0 ? 13 : 11}" fill="${k === 0 ? '#000' : '#555'}">${esc(fit(l, LABEL - GAP))}</text>`));
    row.cells.forEach((cell, j) => {
      // An image is centred in its slot; a note's grey box fills the slot.
      const { width: w, height: h } = 'image' in cell ? cell.image : { width: widths[j]!, height: heights[i]! };
      const left = xs[j]! + Math.floor((widths[j]! - w) / 2);
      const top = ys[i]! + Math.floor((heights[i]! - h) / 2);
      if ('image' in cell) images.push({ input: Buffer.from(cell.image.data), raw: { width: w, height: h, channels: 3 }, left, top });
      else {
        text.push(`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="#e4e4e4"/>`);
        const lines = cell.note.split(': ');
        lines.forEach((l, k) => text.push(`<text x="${left + w / 2}" y="${top + h / 2 + 14 * k - 7 * (lines.length - 1) + 4}" text-anchor="middle" font-size="11" fill="#555">${esc(fit(l, w - 8))}</text>`));
      }
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">${text.join('')}</svg>`;
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([...images, { input: Buffer.from(svg), left: 0, top: 0 }])
    .png({ compressionLevel: 9 })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

try {
  const sheet = task === 'style' ? await styleSheet() : await srSheet();
  await mkdir(dirname(output), { recursive: true });
  await writeFileAtomic(output, await render(sheet));
  console.log(`wrote ${relative(process.cwd(), output)}: ${sheet.rows.length} rows x ${sheet.columns.length} columns (${withInputs ? 'LOCAL VIEWING ONLY' : 'publishable: held-out inputs not shown'})`);
} catch (error) {
  // Our errors say what to do; the stack adds nothing for a script's user.
  const code = errorCode(error);
  console.error(`contact-sheet: ${code ? `${code}: ` : ''}${(error as Error).message}`);
  process.exit(1);
}
