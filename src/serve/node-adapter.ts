/**
 * @file Serves a Fetch handler (handler.ts) on `node:http`: each
 * IncomingMessage becomes a `Request` whose body streams with a byte limit
 * and whose `signal` aborts when the client goes away; the `Response` is
 * written back. `close()` shuts down gracefully: stop accepting, let
 * in-flight requests finish (keep-alive sockets are closed as they go
 * idle), then close the service's pools.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorResponse, tooLargeError } from './http-errors.js';
import type { Service } from './handler.js';

/** Options of serveNode. */
export interface NodeServerOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only; pass 0.0.0.0 to listen on every interface). */
  host?: string;
  /** Body byte limit enforced while streaming (default: none here; the handler checks its own). */
  maxBodyBytes?: number;
  /** How long close() waits for in-flight requests before aborting them (default 30 s). */
  drainTimeoutMs?: number;
}

/** Defaults of NodeServerOptions. */
export const DEFAULT_NODE_SERVER_OPTIONS = Object.freeze({ port: 8080, host: '127.0.0.1', drainTimeoutMs: 30_000 });

/** A listening server. */
export interface NodeServer {
  readonly server: Server;
  /** `http://host:port` (the real port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  /** Requests the adapter is still handling or writing. */
  readonly inFlight: number;
  /** Graceful shutdown: stop accepting, drain, close the service. Idempotent. */
  close(): Promise<void>;
}

/**
 * Listens and serves `service` (or a bare handler) until close().
 * @throws the listen error (EADDRINUSE, EACCES) as Node raises it.
 * @example
 * const server = await serveNode(createService({ models, codec: sharpCodec }), { port: 8080 });
 * process.once('SIGTERM', () => void server.close());
 */
export async function serveNode(service: Service | ((request: Request) => Promise<Response>), options: NodeServerOptions = {}): Promise<NodeServer> {
  const handler = typeof service === 'function' ? service : service.fetch;
  const host = options.host ?? DEFAULT_NODE_SERVER_OPTIONS.host;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_NODE_SERVER_OPTIONS.drainTimeoutMs;
  const active = new Set<AbortController>();
  let closing: Promise<void> | undefined;
  let idle: (() => void) | undefined;

  const server = createServer((req, res) => {
    const controller = new AbortController();
    active.add(controller);
    // The client went away before the response was written: cancel its job.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('the client closed the connection'));
    });
    void handle(handler, req, res, controller, options.maxBodyBytes, () => closing !== undefined).finally(() => {
      active.delete(controller);
      if (closing !== undefined) server.closeIdleConnections();
      if (active.size === 0) idle?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_NODE_SERVER_OPTIONS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  async function shutdown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const draining = typeof service === 'function' ? Promise.resolve() : service.drain();
    if (active.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (idle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
      ]);
      clearTimeout(timer);
      for (const controller of active) controller.abort(new Error(`the server shut down (requests still running after ${drainTimeoutMs} ms)`));
      server.closeAllConnections();
    }
    await draining;
    await stopped;
    if (typeof service !== 'function') await service.close();
  }

  return {
    server,
    url,
    port,
    get inFlight() {
      return active.size;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

async function handle(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
  controller: AbortController,
  maxBodyBytes: number | undefined,
  closing: () => boolean,
): Promise<void> {
  let response: Response;
  try {
    response = await handler(toRequest(req, controller.signal, maxBodyBytes));
  } catch (error) {
    response = errorResponse(error);
  }
  try {
    const body = req.method === 'HEAD' ? undefined : new Uint8Array(await response.arrayBuffer());
    if (res.destroyed) return;
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => (headers[key] = value));
    if (closing()) headers.connection = 'close';
    // An upload answered before its end (413): read and drop the rest, so the client gets to read the
    // answer; closing at once would reset the connection under it (EPIPE) while it is still sending.
    if (!req.complete) discardRest(req);
    res.writeHead(response.status, headers);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** How long (ms) and how many bytes of an answered upload are read and dropped before the socket is closed anyway. */
export const DISCARD_LIMITS = Object.freeze({ ms: 10_000, bytes: 256 * 1024 * 1024 });

function discardRest(req: IncomingMessage): void {
  let dropped = 0;
  const giveUp = (): void => {
    req.socket.destroy();
  };
  const timer = setTimeout(giveUp, DISCARD_LIMITS.ms);
  timer.unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.byteLength;
    if (dropped > DISCARD_LIMITS.bytes) giveUp();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Converts an IncomingMessage to a Fetch `Request`. The body streams (not
 * buffered) and errors with a 413 HttpError at the first byte over
 * `maxBodyBytes`, leaving the rest unread.
 */
export function toRequest(req: IncomingMessage, signal: AbortSignal, maxBodyBytes?: number): Request {
  // Never let the request line choose the host: '//evil/x' stays a path.
  const url = new URL(`http://localhost${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(url, {
    method,
    headers,
    signal,
    ...(hasBody ? { body: bodyStream(req, maxBodyBytes ?? Number.POSITIVE_INFINITY), duplex: 'half' } : {}),
  } as RequestInit);
}

function bodyStream(req: IncomingMessage, maxBytes: number): ReadableStream<Uint8Array> {
  let received = 0;
  let finished = false;
  const detach = (): void => {
    finished = true;
    req.pause();
    req.removeAllListeners('data');
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          if (finished) return;
          received += chunk.byteLength;
          if (received > maxBytes) {
            detach();
            controller.error(tooLargeError('The request body', `over ${maxBytes} bytes`, maxBytes, 'Send a smaller image or start the service with a larger --max-body-mb.'));
            return;
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
        });
        req.once('end', () => {
          if (finished) return;
          finished = true;
          controller.close();
        });
        req.once('error', (error) => {
          if (finished) return;
          finished = true;
          controller.error(error);
        });
        req.pause();
      },
      pull() {
        if (!finished) req.resume();
      },
      cancel() {
        detach();
      },
    },
    { highWaterMark: 256 * 1024, size: (chunk) => chunk.byteLength },
  );
}
