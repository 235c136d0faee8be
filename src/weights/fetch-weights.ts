/**
 * @file Downloads the Keras VGG notop weights (SPEC section 6) into the cache
 * directory: `.partial` file, HTTP Range resume, checksum verification, then
 * an atomic rename, so the final path only ever holds a verified file. The
 * CLI (`perceptual weights fetch vgg16`) draws the progress bar from
 * `onProgress`. Uses Node's built-in fetch.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { abortError, perceptualError, throwIfAborted } from '../errors.js';
import type { VggNetwork } from '../networks/vgg-layers.js';

/** A downloadable file: where it lives, its size and at least one checksum. */
export interface WeightsDownload {
  readonly fileName: string;
  readonly url: string;
  readonly size: number;
  /** Hex digests; every one given is checked (at least one is required). */
  readonly md5?: string;
  readonly sha256?: string;
}

/**
 * The Keras notop files. The md5 digests are the `file_hash` values in
 * keras/src/applications/vgg16.py and vgg19.py (WEIGHTS_PATH_NO_TOP).
 */
export const VGG_DOWNLOADS: Readonly<Record<VggNetwork, WeightsDownload>> = Object.freeze({
  vgg16: Object.freeze({
    fileName: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    size: 58_889_256,
    md5: '6d6bbae143d832006294945121d1f1fc',
  }),
  vgg19: Object.freeze({
    fileName: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    size: 80_134_624,
    md5: '253f8cb515780f3b799900260a226db6',
  }),
});

/** `$PERCEPTUAL_CACHE_DIR`, else `$XDG_CACHE_HOME/perceptual`, else `~/.cache/perceptual`. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.PERCEPTUAL_CACHE_DIR) return env.PERCEPTUAL_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'perceptual');
  return join(homedir(), '.cache', 'perceptual');
}

/** Where `fetchVggWeights` puts (and `loadLossNetwork` looks for) a network's weights. */
export function cachedVggWeightsPath(network: VggNetwork, cacheDir: string = defaultCacheDir()): string {
  return join(cacheDir, VGG_DOWNLOADS[network].fileName);
}

/** Progress of a download; `total` is the expected size. */
export interface FetchProgress {
  readonly received: number;
  readonly total: number;
  /** True when the download continued an earlier `.partial` file. */
  readonly resumed: boolean;
}

/** Options of fetchVggWeights. */
export interface FetchVggWeightsOptions {
  cacheDir?: string;
  onProgress?: (progress: FetchProgress) => void;
  signal?: AbortSignal;
  /** Override the download (tests, mirrors); must carry a checksum. */
  download?: WeightsDownload;
  /** Milliseconds to wait for the server's response headers (default 10 s). */
  connectTimeoutMs?: number;
  /** Milliseconds without any body data before giving up (default 60 s). */
  stallTimeoutMs?: number;
}

/**
 * Makes sure the network's weights are in the cache and returns their path.
 * A cached file is re-verified; a corrupt one is downloaded again.
 * @example
 *   const path = await fetchVggWeights('vgg16', { onProgress: ({ received, total }) => bar.update(received / total) });
 * @throws PerceptualError E_DOWNLOAD (offline, HTTP error, wrong size) whose
 *   message says where to place the file by hand; E_CHECKSUM (nothing is left
 *   at the final path); AbortError when `signal` aborts.
 */
export async function fetchVggWeights(network: VggNetwork, options: FetchVggWeightsOptions = {}): Promise<string> {
  const download = options.download ?? VGG_DOWNLOADS[network];
  if (!download.md5 && !download.sha256) throw perceptualError('E_OPTIONS', `the download of ${download.url} has no checksum. Give md5 or sha256.`);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const target = join(cacheDir, download.fileName);
  const partial = `${target}.partial`;
  const manual = `Download ${download.url} on a machine with network access and place it at ${target} (or pass --weights <file>).`;
  await mkdir(cacheDir, { recursive: true });

  if ((await sizeOf(target)) !== undefined) {
    if ((await checksumProblem(target, download)) === undefined) return target;
    await rm(target, { force: true });
  }
  let offset = (await sizeOf(partial)) ?? 0;
  if (offset > download.size) {
    await rm(partial, { force: true });
    offset = 0;
  }
  if (offset < download.size) await transfer(download, partial, offset, options, manual);
  const problem = await checksumProblem(partial, download);
  if (problem) {
    await rm(partial, { force: true });
    throw perceptualError('E_CHECKSUM', `${download.url}: ${problem}; the download was deleted. Run the command again; if it keeps failing, ${manual[0]!.toLowerCase()}${manual.slice(1)}`);
  }
  await rename(partial, target);
  return target;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Streams the rest of the file into `partial`, resuming at `offset` when the server honours Range. */
async function transfer(download: WeightsDownload, partial: string, offset: number, options: FetchVggWeightsOptions, manual: string): Promise<void> {
  throwIfAborted(options.signal);
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let timer = setTimeout(() => controller.abort(new Error(`no response within ${(options.connectTimeoutMs ?? 10_000) / 1000} s`)), options.connectTimeoutMs ?? 10_000);
  const fail = (what: string, cause?: unknown): never => {
    throw perceptualError('E_DOWNLOAD', `Could not download ${download.url}: ${what}. ${manual}`, cause);
  };
  try {
    let response: Response;
    try {
      response = await fetch(download.url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal: controller.signal });
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.signal.reason);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = controller.signal.aborted ? String((controller.signal.reason as Error)?.message ?? 'timed out') : cause?.code ?? cause?.message ?? (error as Error).message;
      return fail(reason, error);
    }
    let resumed = false;
    if (response.status === 206 && offset > 0 && response.headers.get('content-range')?.startsWith(`bytes ${offset}-`)) {
      resumed = true;
    } else if (response.status === 416 && offset > 0) {
      // The server cannot serve the rest: start over without Range.
      await response.body?.cancel();
      await rm(partial, { force: true });
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      return transfer(download, partial, 0, options, manual);
    } else if (response.status !== 200) {
      await response.body?.cancel();
      return fail(`HTTP ${response.status} ${response.statusText}`);
    }
    // 200 to a Range request means the server ignored it: restart from zero.
    let received = resumed ? offset : 0;
    const out = createWriteStream(partial, { flags: resumed ? 'a' : 'w' });
    const stall = options.stallTimeoutMs ?? 60_000;
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error(`no data for ${stall / 1000} s`)), stall);
    };
    try {
      rearm();
      options.onProgress?.({ received, total: download.size, resumed });
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        rearm();
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        received += chunk.byteLength;
        if (received > download.size) fail(`the server sent more than the expected ${download.size} bytes`);
        options.onProgress?.({ received, total: download.size, resumed });
      }
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.signal.reason);
      if ((error as { code?: string }).code) throw error;
      fail(controller.signal.aborted ? String((controller.signal.reason as Error)?.message) : (error as Error).message, error);
    } finally {
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    }
    if (received !== download.size) fail(`the connection closed after ${received} of ${download.size} bytes (run again to resume)`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Undefined when size and every given checksum match, else what differs. */
async function checksumProblem(path: string, download: WeightsDownload): Promise<string | undefined> {
  const size = await sizeOf(path);
  if (size !== download.size) return `size is ${size} bytes, expected ${download.size}`;
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    md5.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
  }
  const actual = { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
  for (const kind of ['md5', 'sha256'] as const) {
    const expected = download[kind];
    if (expected && expected.toLowerCase() !== actual[kind]) return `${kind} checksum mismatch (expected ${expected}, got ${actual[kind]})`;
  }
  return undefined;
}
