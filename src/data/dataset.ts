/**
 * @file The training data pipeline: every JPEG, PNG and WebP under one or
 * more folders, shuffled per epoch with a seed, cut into random square crops
 * (short side resized up first when smaller), optionally mirrored, batched as
 * float32 NHWC in [0, 1] (SPEC section 1) and decoded ahead of the step.
 *
 * Determinism and resume: the stream is an infinite sequence of items; item t
 * is image perm_e[t mod n] of epoch e = floor(t / n), where perm_e is a
 * shuffle seeded by (seed, e), and its crop is drawn from an RNG seeded by
 * (seed, t). So the whole position is `{ seed, position: t }`, prefetching
 * never disturbs it, and a resumed run reads exactly the batches a straight
 * run would.
 *
 * Fixed crop sets and paired targets (distillation): with `cropsPerImage` K,
 * image i is cut only at K crops, crop k = e mod K in epoch e (each drawn
 * once from (seed, i, k)), so a `pairedTarget` computed from a crop (a
 * teacher network's output) can be cached and reused every K epochs. The
 * target must be computed from the crop itself, not cropped from the whole
 * image's: instance-norm networks answer a crop differently
 * (bench/RESULTS-distill.md).
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { loadSharp } from './sharp.js';
import { optionRangeError, perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import type { RgbImage } from '../pixels.js';
import { Random } from '../random.js';
import { checkInteger } from '../validate.js';
import { type CropPlan, planCrop } from './crop.js';
import type { PlainBatch } from './sr-degradation.js';

/** File extensions the dataset reads (lower case). */
export const DATASET_EXTENSIONS = Object.freeze(['.jpg', '.jpeg', '.png', '.webp'] as const);

/** A batch of crops and, with `pairedTarget`, the target of each crop. */
export interface TrainingBatch extends PlainBatch {
  readonly target?: Float32Array;
}

/** The checkpointable position of a dataset. */
export interface DatasetState {
  readonly seed: number;
  /** Index of the next item to be consumed (items, not batches). */
  readonly position: number;
}

export interface ImageDatasetOptions {
  /** Folders searched recursively. */
  roots: string | readonly string[];
  /** Side of the square crops in pixels. */
  size: number;
  batchSize: number;
  seed: number;
  /** Random horizontal flips (default true). */
  flip?: boolean;
  /** Images whose short side is below this are skipped as tiny (default 32). */
  minSide?: number;
  /** Batches decoded ahead of the consumer (default 2). */
  prefetch?: number;
  /** Keep decoded images in memory up to this many bytes (default 512 MiB); 0 disables. */
  cacheBytes?: number;
  /** Where skip warnings go (default console.warn). */
  warn?: (message: string) => void;
  /** Cut each image at this many fixed crops, one per epoch in turn (default 0: a fresh random crop every time). */
  cropsPerImage?: number;
  /** A target for each crop (same shape, values in [0, 1]); cached per fixed crop when cropsPerImage > 0. */
  pairedTarget?: (crop: Float32Array, size: number) => Promise<Float32Array>;
  /** Resume from this position. */
  state?: DatasetState;
}

/** One usable image. */
export interface DatasetEntry {
  readonly path: string;
  readonly width: number;
  readonly height: number;
}

/** What was found and what was skipped. */
export interface DatasetSummary {
  readonly found: number;
  readonly usable: number;
  readonly skipped: readonly { path: string; reason: string }[];
}

/** Lists image files under the roots, recursively, sorted for determinism. */
export async function listImageFiles(roots: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw perceptualError('E_DATASET', `Cannot read the data folder ${dir}: ${(error as Error).message}. Pass an existing folder of JPEG, PNG or WebP images with --data.`, error);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if ((entry.isFile() || entry.isSymbolicLink()) && (DATASET_EXTENSIONS as readonly string[]).includes(extname(entry.name).toLowerCase())) files.push(path);
    }
  }
  for (const root of roots) await walk(root);
  return files.sort();
}

/** A 32-bit integer mix (murmur3 finaliser) of two integers, for derived seeds. */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a >>> 0, 0x9e3779b1) ^ (b >>> 0) ^ Math.floor(b / 4294967296)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A shuffled, cropped, batched image stream with prefetching.
 * Create with `openImageDataset`.
 */
export class ImageDataset {
  readonly entries: readonly DatasetEntry[];
  readonly summary: DatasetSummary;
  private readonly options: Required<Omit<ImageDatasetOptions, 'state' | 'roots' | 'pairedTarget'>> & Pick<ImageDatasetOptions, 'pairedTarget'>;
  private readonly entryIndex: Map<string, number>;
  /** Paired targets of fixed crops, 8-bit, keyed by path and crop number. */
  private readonly targets = new Map<string, Uint8Array>();
  private position: number;
  private readonly queue: { position: number; batch: Promise<TrainingBatch> }[] = [];
  private readonly permutations = new Map<number, Int32Array>();
  private readonly cache = new Map<string, RgbImage>();
  private cachedBytes = 0;
  private readonly failed = new Set<string>();
  private readonly skipped: { path: string; reason: string }[];

  /** @internal use openImageDataset */
  constructor(entries: DatasetEntry[], summary: DatasetSummary, options: ImageDataset['options'], state?: DatasetState) {
    this.entries = entries;
    this.summary = summary;
    this.skipped = summary.skipped as { path: string; reason: string }[];
    this.options = options;
    this.position = state?.position ?? 0;
    this.entryIndex = new Map(entries.map((e, i) => [e.path, i]));
  }

  /** The position of the next batch `next()` returns (save this in checkpoints). */
  getState(): DatasetState {
    return { seed: this.options.seed, position: this.position };
  }

  /** The epoch the next batch starts in. */
  get epoch(): number {
    return Math.floor(this.position / this.entries.length);
  }

  /**
   * The next batch: float32 NHWC [batchSize, size, size, 3] in [0, 1], as a plain buffer.
   * Starts decoding the following batches before returning.
   */
  async next(): Promise<TrainingBatch> {
    const step = this.options.batchSize;
    if (this.queue[0]?.position !== this.position) {
      this.queue.length = 0;
      this.enqueue(this.position);
    }
    const head = this.queue.shift()!;
    this.position = head.position + step;
    let start = this.queue.length > 0 ? this.queue[this.queue.length - 1]!.position + step : this.position;
    while (this.queue.length < this.options.prefetch) {
      this.enqueue(start);
      start += step;
    }
    return head.batch;
  }

  private enqueue(start: number): void {
    const batch = this.decodeBatch(start);
    batch.catch(() => undefined); // surfaced when awaited; avoids an unhandled rejection while queued
    this.queue.push({ position: start, batch });
  }

  /** The image an item index refers to (before any fallback for unreadable files). */
  itemEntry(item: number): DatasetEntry {
    const n = this.entries.length;
    const epoch = Math.floor(item / n);
    return this.entries[this.permutation(epoch)[item - epoch * n]!]!;
  }

  /** The crop plan of an item (pure function of seed, item and image size; with cropsPerImage, of the image and its crop number). */
  itemCrop(item: number, entry: DatasetEntry): CropPlan {
    const k = this.cropNumber(item);
    const key = k === null ? mixSeed(this.options.seed, item) : mixSeed(this.options.seed ^ 0x0c0fface, this.entryIndex.get(entry.path)! * this.options.cropsPerImage + k);
    return planCrop(entry.width, entry.height, this.options.size, new Random(key), this.options.flip);
  }

  /** Which of an image's fixed crops item t uses (null without cropsPerImage). */
  private cropNumber(item: number): number | null {
    const k = this.options.cropsPerImage;
    return k > 0 ? Math.floor(item / this.entries.length) % k : null;
  }

  private permutation(epoch: number): Int32Array {
    let perm = this.permutations.get(epoch);
    if (!perm) {
      const order = Array.from({ length: this.entries.length }, (_, i) => i);
      new Random(mixSeed(this.options.seed ^ 0x5eed5eed, epoch)).shuffle(order);
      perm = Int32Array.from(order);
      if (this.permutations.size > 4) this.permutations.delete(this.permutations.keys().next().value!);
      this.permutations.set(epoch, perm);
    }
    return perm;
  }

  private async decodeBatch(start: number): Promise<TrainingBatch> {
    const { batchSize, size, pairedTarget } = this.options;
    const per = size * size * 3;
    const data = new Float32Array(batchSize * per);
    const target = pairedTarget ? new Float32Array(batchSize * per) : undefined;
    for (let b = 0; b < batchSize; b++) {
      const item = start + b;
      const { crop, path } = await this.decodeItem(item);
      data.set(crop, b * per);
      if (target) target.set(await this.targetOf(crop, path, item), b * per);
    }
    return { shape: [batchSize, size, size, 3], data, ...(target ? { target } : {}) };
  }

  /** The paired target of a crop, rounded to 8 bits as a saved image would be: computed, or read back from the cache of fixed crops. */
  private async targetOf(crop: Float32Array, path: string, item: number): Promise<Float32Array> {
    const k = this.cropNumber(item);
    const key = `${path}#${k}`;
    const cached = k === null ? undefined : this.targets.get(key);
    if (cached) return Float32Array.from(cached, (v) => v / 255);
    // Rounded to 8 bits whether cached or not, so a crop's target is the same every time it comes round.
    const target = Uint8Array.from(await this.options.pairedTarget!(crop, this.options.size), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    if (k !== null && this.cachedBytes + target.length <= this.options.cacheBytes) {
      this.targets.set(key, target);
      this.cachedBytes += target.length;
    }
    return Float32Array.from(target, (v) => v / 255);
  }

  /** Decodes item t; an unreadable image is skipped (warned once) for the next readable one. */
  private async decodeItem(item: number): Promise<{ crop: Float32Array; path: string }> {
    const n = this.entries.length;
    for (let k = 0; k < n; k++) {
      const entry = this.itemEntry(item + k);
      if (this.failed.has(entry.path)) continue;
      try {
        return { crop: await this.crop(entry, this.itemCrop(item, entry)), path: entry.path };
      } catch (error) {
        this.failed.add(entry.path);
        const reason = `cannot decode (${firstLine(error)})`;
        this.skipped.push({ path: entry.path, reason });
        this.options.warn(`warning: skipping ${entry.path}: ${reason}`);
      }
    }
    throw perceptualError('E_DATASET', `No image in the dataset could be decoded (${this.skipped.length} skipped). Check the files under --data.`);
  }

  private async crop(entry: DatasetEntry, plan: CropPlan): Promise<Float32Array> {
    const { size } = plan;
    let source = this.cache.get(entry.path);
    if (!source) {
      let pipeline = (await loadSharp())(entry.path, { failOn: 'error' });
      if (plan.resizeWidth !== entry.width || plan.resizeHeight !== entry.height) {
        pipeline = pipeline.resize(plan.resizeWidth, plan.resizeHeight, { fit: 'fill', kernel: 'lanczos3' });
      }
      const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 3 || info.width !== plan.resizeWidth || info.height !== plan.resizeHeight) {
        throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${plan.resizeWidth}x${plan.resizeHeight}x3`);
      }
      source = { data, width: info.width, height: info.height };
      if (this.cachedBytes + data.byteLength <= this.options.cacheBytes) {
        this.cache.set(entry.path, source);
        this.cachedBytes += data.byteLength;
      }
    }
    const out = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      const row = ((plan.top + y) * source.width + plan.left) * 3;
      for (let x = 0; x < size; x++) {
        const sx = plan.flip ? size - 1 - x : x;
        const o = (y * size + x) * 3;
        const s = row + sx * 3;
        out[o] = source.data[s]! / 255;
        out[o + 1] = source.data[s + 1]! / 255;
        out[o + 2] = source.data[s + 2]! / 255;
      }
    }
    return out;
  }
}

/**
 * Opens a dataset: lists images, reads each header, skips unreadable or tiny
 * ones (one warning each) and returns the stream.
 * @throws PerceptualError E_DATASET when a folder is missing or no usable image remains
 * @throws RangeError E_OPTIONS for a bad size, batch size or prefetch
 */
export async function openImageDataset(options: ImageDatasetOptions): Promise<ImageDataset> {
  const roots = typeof options.roots === 'string' ? [options.roots] : [...options.roots];
  if (roots.length === 0) throw optionRangeError('options.roots', 'at least one folder', roots);
  checkInteger(options.size, 'options.size', 1);
  checkInteger(options.batchSize, 'options.batchSize', 1);
  const cropsPerImage = checkInteger(options.cropsPerImage ?? 0, 'options.cropsPerImage', 0, Infinity, 'a non-negative integer (0: random crops)');
  const prefetch = checkInteger(options.prefetch ?? 2, 'options.prefetch', 0);
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const minSide = options.minSide ?? 32;
  const files = await listImageFiles(roots);
  const entries: DatasetEntry[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const path of files) {
    try {
      const meta = await (await loadSharp())(path).metadata();
      const width = meta.width ?? 0;
      const height = meta.height ?? 0;
      if (Math.min(width, height) < minSide) {
        skipped.push({ path, reason: `too small (${width}x${height}, short side < ${minSide})` });
        warn(`warning: skipping ${path}: too small (${width}x${height}, short side < ${minSide})`);
        continue;
      }
      entries.push({ path, width, height });
    } catch (error) {
      const reason = `unreadable (${firstLine(error)})`;
      skipped.push({ path, reason });
      warn(`warning: skipping ${path}: ${reason}`);
    }
  }
  if (entries.length === 0) {
    throw perceptualError(
      'E_DATASET',
      `No usable images under ${roots.join(', ')} (${files.length} image files found, ${skipped.length} skipped). ` +
        `Point --data at a folder holding JPEG, PNG or WebP images at least ${minSide} px on the short side.`,
    );
  }
  if (options.state && options.state.seed !== options.seed) {
    throw optionRangeError('options.state.seed', `the dataset seed ${options.seed}`, options.state.seed);
  }
  const summary = { found: files.length, usable: entries.length, skipped };
  return new ImageDataset(
    entries,
    summary,
    { size: options.size, batchSize: options.batchSize, seed: options.seed, flip: options.flip ?? true, minSide, prefetch, cacheBytes: options.cacheBytes ?? 512 * 2 ** 20, warn, cropsPerImage, pairedTarget: options.pairedTarget },
    options.state,
  );
}
