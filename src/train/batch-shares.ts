/**
 * @file How a data-parallel step divides a batch among workers, and how it
 * puts their results back together (pure arithmetic, no tensors).
 *
 * Every loss term is a mean over the batch of per-image values that do not
 * depend on the other images (SPEC section 3: feature, pixel and TV terms are
 * means over all elements, the style term divides its sum over the batch by
 * B; the transform network normalises per image). So for parts of b_k images,
 * loss = sum_k (b_k / B) * loss_k, and, the gradient being linear, the same
 * weights turn the parts' gradients into the full batch's.
 */
import type { PerceptualLossNumbers } from '../losses/perceptual.js';
import type { PlainBatch } from '../data/sr-degradation.js';

/** Images per worker: contiguous parts of `batchSize` as even as possible, the larger ones first ([3, 2] for 5 on 2). */
export function partSizes(batchSize: number, workers: number): number[] {
  const base = Math.floor(batchSize / workers);
  const extra = batchSize % workers;
  return Array.from({ length: workers }, (_, k) => base + (k < extra ? 1 : 0));
}

/** Each part's weight b_k / B in the full-batch mean. */
export function partShares(sizes: readonly number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  return sizes.map((size) => size / total);
}

/** Images `start` to `start + count` of an NHWC batch, as a copy (its buffer can be moved to a worker). */
export function sliceBatch(batch: PlainBatch, start: number, count: number): PlainBatch {
  const [, h, w, c] = batch.shape;
  const per = h * w * c;
  return { shape: [count, h, w, c], data: batch.data.slice(start * per, (start + count) * per) };
}

/** The parts of `batch` of the given sizes, in order. */
export function splitBatch(batch: PlainBatch, sizes: readonly number[]): PlainBatch[] {
  let start = 0;
  return sizes.map((size) => {
    const part = sliceBatch(batch, start, size);
    start += size;
    return part;
  });
}

/** The full batch's loss numbers from its parts': each term the share-weighted sum of the parts' (null stays null). */
export function combineLossNumbers(parts: readonly PerceptualLossNumbers[], shares: readonly number[]): PerceptualLossNumbers {
  const sum = (read: (n: PerceptualLossNumbers) => number): number => parts.reduce((acc, part, k) => acc + shares[k]! * read(part), 0);
  const record = (key: 'feature' | 'style'): Record<string, number> =>
    Object.fromEntries(Object.keys(parts[0]![key]).map((layer) => [layer, sum((n) => n[key][layer]!)]));
  return {
    total: sum((n) => n.total),
    feature: record('feature'),
    style: record('style'),
    pixel: parts[0]!.pixel === null ? null : sum((n) => n.pixel!),
    tv: parts[0]!.tv === null ? null : sum((n) => n.tv!),
  };
}
