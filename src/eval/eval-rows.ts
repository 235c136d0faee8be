/**
 * @file What the evaluations (eval-sr.ts, eval-style.ts, eval-distill.ts)
 * share: the progress callback and abort signal they take, the walk over a
 * folder's images that produces one row per image, and the per-field means
 * of their results.
 */
import { throwIfAborted } from '../errors.js';

/** The options every evaluation takes besides its inputs. */
export interface EvalProgressOptions<Row> {
  /** Called after each image with its row, its index and the image count. */
  onImage?: (row: Row, index: number, total: number) => void;
  /** Stops the evaluation before the next image (E_ABORTED). */
  signal?: AbortSignal;
}

/** Per-image rows and the means over them. */
export interface EvalResult<Row, Mean> {
  readonly rows: readonly Row[];
  readonly mean: Mean;
}

/**
 * One row per image name, in order: checks `options.signal` before each
 * image and reports each row to `options.onImage`.
 * @throws PerceptualError E_ABORTED when the signal aborts; whatever `rowFor` throws
 */
export async function evaluateEach<Row>(names: readonly string[], options: EvalProgressOptions<Row>, rowFor: (name: string) => Promise<Row>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [index, name] of names.entries()) {
    throwIfAborted(options.signal);
    const row = await rowFor(name);
    rows.push(row);
    options.onImage?.(row, index, names.length);
  }
  return rows;
}

/** The mean over `rows` of each field named in `keys`. */
export function meanFields<K extends string>(rows: readonly Readonly<Record<K, number>>[], keys: readonly K[]): Record<K, number> {
  const mean = {} as Record<K, number>;
  for (const key of keys) mean[key] = rows.reduce((sum, row) => sum + row[key], 0) / rows.length;
  return mean;
}
