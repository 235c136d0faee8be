/**
 * @file Bytes from a URL over `fetch`, with one wording of what went wrong,
 * for every remote read: model files and images (createStylizer, the browser
 * worker) and the files of an ml5 checkpoint folder. Only `fetch`, so it runs
 * in browsers, workers and edge runtimes.
 */
import { abortError, perceptualError } from './errors.js';
import { firstLine } from './first-line.js';

/** Options of fetchBytes. */
export interface FetchBytesOptions {
  /** The fetch to use (default the global one): for tests, or a fetch that adds credentials. */
  readonly fetch?: (input: string, init?: { signal?: AbortSignal }) => Promise<Response>;
  readonly signal?: AbortSignal;
  /** What to check when the server answers with an error status (default: the URL). */
  readonly statusHint?: string;
}

/**
 * Fetches `url` as bytes.
 * @throws Error whose message says why in words that follow "Cannot read <url>: "
 *   (`HTTP 404; check the URL`, or the network error, which is also how
 *   browsers report a server that does not let this origin read it), with
 *   the network error as `cause`; AbortError E_ABORTED when `signal` aborts
 */
export async function fetchBytes(url: string | URL, options: FetchBytesOptions = {}): Promise<Uint8Array> {
  const { signal } = options;
  const get = options.fetch ?? ((input: string, init?: { signal?: AbortSignal }) => fetch(input, init));
  let response: Response;
  try {
    response = await get(String(url), signal ? { signal } : undefined);
  } catch (error) {
    if (signal?.aborted) throw abortError(signal.reason);
    // Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is its cause.
    const cause = (error as { cause?: unknown } | null)?.cause;
    const detail = cause instanceof Error ? `${firstLine(error)}: ${firstLine(cause)}` : firstLine(error);
    throw new Error(`${detail} (a network error, or the server does not allow this origin to read it); check the URL and the network`, { cause: error });
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}; ${options.statusHint ?? 'check the URL'}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * fetchBytes for a caller with nothing to add to its failure.
 * @param what what the URL holds, for the message (`model`, `image`)
 * @throws PerceptualError E_DOWNLOAD `Cannot fetch the <what> <url>: <why>.` with the failure as `cause`;
 *   AbortError E_ABORTED when `signal` aborts
 */
export async function downloadBytes(url: string | URL, what: string, options: FetchBytesOptions = {}): Promise<Uint8Array> {
  try {
    return await fetchBytes(url, options);
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw perceptualError('E_DOWNLOAD', `Cannot fetch the ${what} ${String(url)}: ${(error as Error).message}.`, error);
  }
}
