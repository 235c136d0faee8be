/**
 * @file The one table from error codes to HTTP statuses (STYLE.md, Errors):
 * bad options 400, unknown model 404, too large 413, unsupported type 415,
 * queue full 503 with Retry-After, anything else 500; the body is always
 * JSON `{code, message}`. The codes that only HTTP knows (an unknown route
 * or model, a body too large, a media type we do not read) live here rather
 * than in src/errors.ts, since nothing below src/serve can raise them and
 * the CLI never maps them to exit codes.
 */
import { type ErrorCode, errorCode } from '../errors.js';

/** Error codes only the HTTP layer raises. */
export const HTTP_ERROR_CODES = Object.freeze({
  /** No such route, or no model registered under that name (404). */
  E_NOT_FOUND: 'E_NOT_FOUND',
  /** The route exists but not for this method (405). */
  E_METHOD_NOT_ALLOWED: 'E_METHOD_NOT_ALLOWED',
  /** Body bytes or pixel count above the service's limit (413). */
  E_TOO_LARGE: 'E_TOO_LARGE',
  /** A Content-Type (or sniffed format) we do not decode (415). */
  E_UNSUPPORTED_TYPE: 'E_UNSUPPORTED_TYPE',
  /** The service is shutting down (503 with Retry-After). */
  E_UNAVAILABLE: 'E_UNAVAILABLE',
} as const);
export type HttpErrorCode = keyof typeof HTTP_ERROR_CODES;

/** Any code a response body may carry. */
export type ResponseErrorCode = ErrorCode | HttpErrorCode | 'E_INTERNAL';

/** An HTTP-layer failure: a stable `code`; the status comes from HTTP_STATUS_BY_CODE. */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  /** Extra response headers (`Allow` for 405). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: HttpErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.headers = headers;
  }
}

/** 404: unknown route or model. */
export function notFoundError(message: string): HttpError {
  return new HttpError('E_NOT_FOUND', message);
}

/** 405 with `Allow`. */
export function methodNotAllowedError(method: string, path: string, allowed: readonly string[]): HttpError {
  return new HttpError('E_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}. Use ${allowed.join(' or ')}.`, { Allow: allowed.join(', ') });
}

/** 413: `what` (body bytes, pixels) is above `limit`. */
export function tooLargeError(what: string, received: number | string, limit: number, fix: string): HttpError {
  return new HttpError('E_TOO_LARGE', `${what} is ${received}, above the limit of ${limit}. ${fix}`);
}

/** 415: a media type we do not read. */
export function unsupportedTypeError(received: string, supported: readonly string[]): HttpError {
  return new HttpError(
    'E_UNSUPPORTED_TYPE',
    `Content-Type ${JSON.stringify(received)} is not supported. Send the image bytes as the body with Content-Type ${supported.join(', ')}.`,
  );
}

/** 503 while the service drains for shutdown. */
export function unavailableError(message: string): HttpError {
  return new HttpError('E_UNAVAILABLE', message);
}

/**
 * Status for each code. Client mistakes in the body (not an image, wrong
 * shape) are 400 like bad options; a cancelled or timed-out job is 503 (the
 * server was too busy to finish it in time; retrying may succeed).
 */
export const HTTP_STATUS_BY_CODE: Readonly<Partial<Record<ResponseErrorCode, number>>> = Object.freeze({
  E_OPTIONS: 400,
  E_IMAGE_DECODE: 400,
  E_TENSOR_SHAPE: 400,
  E_NOT_FOUND: 404,
  E_METHOD_NOT_ALLOWED: 405,
  E_TOO_LARGE: 413,
  E_UNSUPPORTED_TYPE: 415,
  E_QUEUE_FULL: 503,
  E_ABORTED: 503,
  E_UNAVAILABLE: 503,
});

/** Statuses that tell the client to come back later (they get Retry-After). */
const RETRY_STATUSES: ReadonlySet<number> = new Set([503]);

/** The JSON error body. */
export interface ErrorBody {
  readonly code: ResponseErrorCode;
  readonly message: string;
}

/** Status, body and headers for any thrown value (never throws). */
export function describeHttpError(error: unknown, options: { retryAfterSeconds?: number } = {}): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  const code: ResponseErrorCode | undefined =
    error instanceof HttpError ? error.code : errorCode(error);
  const status = (code && HTTP_STATUS_BY_CODE[code]) ?? 500;
  const headers: Record<string, string> = error instanceof HttpError ? { ...error.headers } : {};
  if (RETRY_STATUSES.has(status)) headers['Retry-After'] = String(Math.max(1, Math.ceil(options.retryAfterSeconds ?? 1)));
  return { status, body: { code: code ?? 'E_INTERNAL', message: messageOf(error) }, headers };
}

/** A JSON error response for any thrown value (see describeHttpError). */
export function errorResponse(error: unknown, options: { retryAfterSeconds?: number } = {}): Response {
  const { status, body, headers } = describeHttpError(error, options);
  return jsonResponse(body, status, headers);
}

/** A JSON response (`application/json; charset=utf-8`). */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

/** The message plus, when it adds something, the first cause's (an abort's reason says why). */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
}
