/**
 * @file An ml5 style-transfer checkpoint read over HTTP (SPEC section 6):
 * `manifest.json` and the Variable files fetched from a folder URL, parsed by
 * readMl5Checkpoint as a directory on disk is. Uses only `fetch`, so it runs
 * in browsers, workers and edge runtimes (the browser worker's `loadModel`
 * sends folder URLs here).
 */
import { abortError, optionTypeError } from '../errors.js';
import { fetchBytes, type FetchBytesOptions } from '../fetch-bytes.js';
import type { TransformModel } from '../types.js';
import { ML5_MANIFEST, readMl5Checkpoint } from './read-ml5-checkpoint.js';

/** Options of {@link fetchMl5Checkpoint}: the fetch to use (default the global one) and an abort signal. */
export type FetchMl5CheckpointOptions = Pick<FetchBytesOptions, 'fetch' | 'signal'>;

/**
 * True when `url` names an ml5 checkpoint rather than a model file: its path
 * ends in `/` (the folder) or in `/manifest.json`.
 */
export function isMl5CheckpointUrl(url: string | URL): boolean {
  const path = new URL(String(url), 'http://base.invalid/').pathname;
  return path.endsWith('/') || path.endsWith(`/${ML5_MANIFEST}`);
}

/**
 * The folder URL of a checkpoint, ending in `/`, from the folder (with or
 * without the slash) or its manifest.json; relative URLs are resolved against
 * the page or worker location.
 * @throws TypeError E_OPTIONS for a relative URL where there is no location, or an unparsable one
 */
export function ml5CheckpointFolder(url: string | URL): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let folder: URL;
  try {
    folder = new URL(String(url), base);
  } catch {
    throw optionTypeError('url', 'an absolute URL of an ml5 checkpoint folder (holding manifest.json), or one relative to the page', url);
  }
  folder.search = '';
  folder.hash = '';
  if (folder.pathname.endsWith(`/${ML5_MANIFEST}`)) folder.pathname = folder.pathname.slice(0, -ML5_MANIFEST.length);
  else if (!folder.pathname.endsWith('/')) folder.pathname += '/';
  return folder;
}

/**
 * Fetches an ml5 checkpoint from a folder URL (or its manifest.json) into a
 * model with arch ML5_STYLE_ARCH; the 48 variable files are fetched at once.
 * @returns the model; caller disposes its params (float32 tensors).
 * @throws PerceptualError E_DOWNLOAD (network error, CORS, HTTP status) naming the URL,
 *   E_WEIGHTS_FORMAT or E_WEIGHTS_MISMATCH as importMl5Checkpoint; TypeError E_OPTIONS for a bad URL;
 *   AbortError E_ABORTED when `signal` aborts
 * @example
 * const model = await fetchMl5Checkpoint('https://example.com/models/wave/');
 */
export function fetchMl5Checkpoint(url: string | URL, options: FetchMl5CheckpointOptions = {}): Promise<TransformModel> {
  const folder = ml5CheckpointFolder(url);
  const where = (name: string): string => new URL(encodeURIComponent(name), folder).href;
  const signal = options.signal;
  const statusHint = `check that the URL is the checkpoint folder, the one holding ${ML5_MANIFEST}`;
  const read = readMl5Checkpoint({
    location: folder.href,
    where,
    readErrorCode: 'E_DOWNLOAD',
    read: (name) => fetchBytes(where(name), { ...options, statusHint }),
  });
  // An abort shows up as a failed read; report it as the cancellation it is.
  return read.catch((error: unknown) => {
    if (signal?.aborted) throw abortError(signal.reason);
    throw error;
  });
}
