/**
 * @file The HTTP service as a Fetch-API handler, `(request: Request) =>
 * Promise<Response>`, so the same code runs under Node (node-adapter.ts)
 * and in edge runtimes (`export default { fetch: service.fetch }`). It
 * imports nothing from `node:`; decoding goes through an injected
 * `ImageCodec` and inference through registered `InferencePool`s.
 *
 * Routes:
 * - `GET /healthz` -> `{status: 'ok', models, inFlight}` (503 `draining` during shutdown)
 * - `GET /v1/models` -> `[{name, task, scale, arch}]`
 * - `GET /metrics` -> Prometheus text (service-metrics.ts)
 * - `POST /v1/stylize/:name`, `POST /v1/upscale/:name`: body = the image
 *   (image/png, image/jpeg, image/webp, application/octet-stream, or a
 *   multipart form: request-image.ts); query `format`, `quality`,
 *   `strength` (style only: blend with the input); answers the image with
 *   `X-Perceptual-Model` and `X-Processing-Ms`.
 * - `OPTIONS` anything: the CORS preflight answer (204).
 * Every response carries the CORS headers (`cors` option, default `*`), so
 * a web page on another origin can call the service.
 * Errors are JSON `{code, message}` with the status from http-errors.ts.
 */
import { optionRangeError } from '../errors.js';
import { checkInteger, checkOneOf, inRange, isInteger, numberFromText } from '../validate.js';
import {
  errorResponse,
  jsonResponse,
  methodNotAllowedError,
  notFoundError,
  tooLargeError,
  unavailableError,
  unsupportedTypeError,
} from './http-errors.js';
import { CODEC_FORMATS, type CodecFormat, type ImageCodec, IMAGE_MEDIA_TYPES, MEDIA_TYPE_BY_FORMAT } from './image-codec.js';
import type { InferencePool } from './pool-types.js';
import { readUploadedImage } from './request-image.js';
import { blend } from '../infer/blend.js';
import { createServiceMetrics } from './service-metrics.js';

/** A model the service answers for, registered once at start. */
export interface ServiceModel {
  /** URL name: letters, digits, `.`, `_`, `-`; starts with a letter or digit. */
  readonly name: string;
  readonly pool: InferencePool;
  /** What `/v1/models` reports as `arch` (the model file's arch JSON), if known. */
  readonly arch?: unknown;
}

/**
 * The request limits and the CORS header, taken alike by createService and
 * the edge service (which passes them through; only its defaults differ).
 */
export interface ServiceRequestOptions {
  /** Largest request body in bytes (default DEFAULT_SERVICE_OPTIONS.maxBodyBytes, 20 MiB; the edge service's EDGE_DEFAULTS.maxBodyBytes). */
  readonly maxBodyBytes?: number;
  /**
   * Per-job limit in ms, queueing included, passed to the pool with every job (default: the
   * pool's). Runtimes that stop the clock while code runs, as workerd does, only count waiting.
   */
  readonly timeoutMs?: number;
  /** `Access-Control-Allow-Origin` of every response (default `*`); `false` sends no CORS headers. */
  readonly cors?: string | false;
}

/** Options of createService (all optional except models and codec). */
export interface ServiceOptions extends ServiceRequestOptions {
  readonly models: readonly ServiceModel[];
  readonly codec: ImageCodec;
  /** Largest input image in pixels, width x height (default 16 Mpx = 4096 x 4096). */
  readonly maxPixels?: number;
  /** Seconds clients are told to wait after a 503 (default 1). */
  readonly retryAfterSeconds?: number;
}

/** Defaults of ServiceOptions. */
export const DEFAULT_SERVICE_OPTIONS = Object.freeze({
  maxBodyBytes: 20 * 1024 * 1024,
  maxPixels: 4096 * 4096,
  retryAfterSeconds: 1,
  cors: '*',
});

/** Query defaults: PNG output, quality 90, full stylisation. */
export const DEFAULT_QUERY = Object.freeze({ format: 'png' as CodecFormat, quality: 90, strength: 1 });

/** Model names allowed in URLs: no `/`, `%`, `..`-only names or spaces, so a name can never reach a path. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The service: its fetch handler plus what a host needs for graceful shutdown. */
export interface Service {
  /** Handles one request; never throws (errors become JSON responses). */
  readonly fetch: (request: Request) => Promise<Response>;
  /** Image requests being processed now. */
  readonly inFlight: number;
  /** True once drain/close started: image requests get 503, /healthz says `draining`. */
  readonly draining: boolean;
  /** Refuses new image requests and resolves when the in-flight ones have finished. */
  drain(): Promise<void>;
  /** drain(), then closes every pool. */
  close(): Promise<void>;
}

const ROUTES = Object.freeze({ stylize: 'style', upscale: 'sr' } as const);

/** What a CORS preflight is told: the methods and request headers the routes take, cacheable for a day. */
const PREFLIGHT_HEADERS = Object.freeze({
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
});

/**
 * Creates the service over registered models.
 * @throws TypeError/RangeError E_OPTIONS for a bad limit, a bad or duplicate model name.
 * @example
 * const service = createService({ models: [{ name: 'wave', pool }], codec: sharpCodec });
 * const response = await service.fetch(new Request('http://x/healthz'));
 */
export function createService(options: ServiceOptions): Service {
  const maxBodyBytes = checkInteger(options.maxBodyBytes ?? DEFAULT_SERVICE_OPTIONS.maxBodyBytes, 'options.maxBodyBytes', 1);
  const maxPixels = checkInteger(options.maxPixels ?? DEFAULT_SERVICE_OPTIONS.maxPixels, 'options.maxPixels', 1);
  const retryAfterSeconds = checkInteger(options.retryAfterSeconds ?? DEFAULT_SERVICE_OPTIONS.retryAfterSeconds, 'options.retryAfterSeconds', 1);
  if (options.timeoutMs !== undefined) checkInteger(options.timeoutMs, 'options.timeoutMs', 1);
  const { codec } = options;
  // A Map, not an object: `__proto__` or `constructor` can never match.
  const models = new Map<string, ServiceModel>();
  for (const [index, model] of (options.models ?? []).entries()) {
    if (typeof model?.name !== 'string' || !MODEL_NAME_PATTERN.test(model.name)) {
      throw optionRangeError(`options.models[${index}].name`, `a name matching ${MODEL_NAME_PATTERN}`, model?.name);
    }
    if (models.has(model.name)) throw optionRangeError(`options.models[${index}].name`, 'a name not used by another model', model.name);
    models.set(model.name, model);
  }
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  const settle = (): void => {
    if (inFlight === 0) drained?.();
  };

  async function handleImage(request: Request, route: keyof typeof ROUTES, name: string): Promise<Response> {
    const started = Date.now();
    const model = models.get(name);
    if (model === undefined) {
      throw notFoundError(`No model named ${JSON.stringify(name)}. GET /v1/models lists the models this service was started with.`);
    }
    const want = ROUTES[route];
    if (model.pool.task !== want) {
      const other = model.pool.task === 'style' ? 'stylize' : 'upscale';
      throw notFoundError(`Model ${JSON.stringify(name)} is a ${model.pool.task === 'style' ? 'style' : 'super-resolution'} model, not found under /v1/${route}. POST to /v1/${other}/${name}.`);
    }
    const query = parseQuery(new URL(request.url).searchParams, want);
    const { bytes, declared } = await readUploadedImage(request, maxBodyBytes);
    const probe = await codec.probe(bytes);
    if (!Object.values(IMAGE_MEDIA_TYPES).includes(probe.format as CodecFormat)) {
      throw unsupportedTypeError(`${declared ?? 'an upload'} (but the body is ${probe.format})`, Object.keys(IMAGE_MEDIA_TYPES));
    }
    const pixels = probe.width * probe.height;
    if (pixels > maxPixels) {
      throw tooLargeError(`The image (${probe.width}x${probe.height})'s pixel count`, pixels, maxPixels, 'Send a smaller image or start the service with a larger --max-pixels.');
    }
    const input = await codec.decode(bytes);
    let output = await model.pool.run(input, { signal: request.signal, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
    if (want === 'style' && query.strength < 1) output = blend(input, output, query.strength);
    const encoded = await codec.encode(output, { format: query.format, quality: query.quality });
    return new Response(encoded as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        'Content-Type': MEDIA_TYPE_BY_FORMAT[query.format],
        'Cache-Control': 'no-store',
        'X-Perceptual-Model': name,
        'X-Processing-Ms': String(Date.now() - started),
      },
    });
  }

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    const method = request.method.toUpperCase();
    if (method === 'OPTIONS') return new Response(null, { status: 204, headers: { ...PREFLIGHT_HEADERS, Allow: PREFLIGHT_HEADERS['Access-Control-Allow-Methods'] } });
    if (path === '/healthz' || path === '/v1/models' || path === '/metrics') {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowedError(method, path, ['GET', 'HEAD']);
      if (path === '/metrics') {
        const pools = new Map([...models.values()].map((m) => [m.name, m.pool] as const));
        return new Response(metrics.render(pools), { headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' } });
      }
      if (path === '/v1/models') {
        return jsonResponse([...models.values()].map((m) => ({ name: m.name, task: m.pool.task, scale: m.pool.scale, arch: m.arch ?? null })));
      }
      return draining
        ? jsonResponse({ status: 'draining', models: models.size, inFlight }, 503, { 'Retry-After': String(retryAfterSeconds) })
        : jsonResponse({ status: 'ok', models: models.size, inFlight });
    }
    const match = /^\/v1\/(stylize|upscale)\/([^/]+)$/.exec(path);
    if (match === null) throw notFoundError(`No route ${method} ${path}. Routes: GET /healthz, GET /v1/models, GET /metrics, POST /v1/stylize/NAME, POST /v1/upscale/NAME.`);
    if (method !== 'POST') throw methodNotAllowedError(method, path, ['POST']);
    if (draining) throw unavailableError('The service is shutting down and takes no new images. Retry against another instance or after restart.');
    let name: string;
    try {
      name = decodeURIComponent(match[2]!);
    } catch {
      throw notFoundError(`Model name ${JSON.stringify(match[2])} is not valid percent-encoding. GET /v1/models lists the models.`);
    }
    inFlight += 1;
    try {
      return await handleImage(request, match[1] as keyof typeof ROUTES, name);
    } finally {
      inFlight -= 1;
      settle();
    }
  }

  const cors = options.cors ?? DEFAULT_SERVICE_OPTIONS.cors;
  const metrics = createServiceMetrics();
  const fetch = async (request: Request): Promise<Response> => {
    const started = performance.now();
    let response: Response;
    try {
      response = await route(request);
    } catch (error) {
      response = errorResponse(error, { retryAfterSeconds });
    }
    const { route: routeLabel, model: named } = describeRoute(request);
    // Only registered names become labels: a client must not be able to create series at will.
    const model = named === '' || models.has(named) ? named : 'unknown';
    metrics.observe(routeLabel, model, response.status, routeLabel === 'stylize' || routeLabel === 'upscale' ? (performance.now() - started) / 1000 : undefined);
    if (cors !== false) {
      response.headers.set('Access-Control-Allow-Origin', cors);
      response.headers.set('Access-Control-Expose-Headers', 'X-Perceptual-Model, X-Processing-Ms, Retry-After');
      if (cors !== '*') response.headers.append('Vary', 'Origin');
    }
    return response;
  };

  const drain = (): Promise<void> => {
    draining = true;
    if (inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = drained;
      drained = () => {
        previous?.();
        resolve();
      };
    });
  };

  return {
    fetch,
    get inFlight() {
      return inFlight;
    },
    get draining() {
      return draining;
    },
    drain,
    async close() {
      await drain();
      await Promise.all([...models.values()].map((m) => m.pool.close()));
    },
  };
}

/** The fetch handler of createService (for hosts that need nothing else). */
export function createHandler(options: ServiceOptions): (request: Request) => Promise<Response> {
  return createService(options).fetch;
}

/** The metrics labels of a request: the route, and the model name for image routes (`other` for unknown paths, so labels stay few). */
function describeRoute(request: Request): { route: string; model: string } {
  const path = new URL(request.url).pathname;
  const image = /^\/v1\/(stylize|upscale)\/([^/]+)$/.exec(path);
  if (image) return { route: image[1]!, model: safeDecode(image[2]!) };
  const fixed: Record<string, string> = { '/healthz': 'healthz', '/v1/models': 'models', '/metrics': 'metrics' };
  return { route: fixed[path] ?? 'other', model: '' };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface Query {
  format: CodecFormat;
  quality: number;
  strength: number;
}

function parseQuery(params: URLSearchParams, task: 'style' | 'sr'): Query {
  const query: Query = { ...DEFAULT_QUERY };
  for (const [key, value] of params) {
    if (key === 'format') {
      query.format = checkOneOf(value, 'query.format', CODEC_FORMATS);
    } else if (key === 'quality') {
      const quality = numberFromText(value);
      if (!(isInteger(quality) && inRange(quality, 1, 100))) throw optionRangeError('query.quality', 'an integer from 1 to 100', value);
      query.quality = quality;
    } else if (key === 'strength') {
      if (task !== 'style') throw optionRangeError('query.strength', 'absent for upscaling (it blends a stylised image with its input)', value);
      const strength = numberFromText(value);
      if (!inRange(strength, 0, 1)) throw optionRangeError('query.strength', 'a number from 0 to 1', value);
      query.strength = strength;
    } else {
      throw optionRangeError(`query.${key}`, 'absent (known parameters: format, quality, strength)', value);
    }
  }
  return query;
}
