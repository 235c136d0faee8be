/**
 * @file `perceptual serve --model NAME=FILE ... [--port 8080]`: the HTTP
 * service (src/serve/handler.ts) on node:http, one inference pool per
 * model. Models are only those named here (`--model NAME` alone serves the
 * bundled model NAME under its own name; FILE may also be a bundled name);
 * the task (style or SR) comes from each model file. SIGINT/SIGTERM shut
 * down gracefully: stop accepting, let in-flight requests finish, close the
 * pools.
 */
import { open, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { optionRangeError, perceptualError } from '../errors.js';
import { parseArch } from '../networks/arch.js';
import type { ServiceModel } from '../serve/handler.js';
import type { InferencePool } from '../serve/pool-types.js';
import { checkInteger, positiveNumber } from '../validate.js';
import { MODEL_NAME_PATTERN, resolveModel } from '../weights/model-registry.js';
import { type CommonOptions, chooseBackend, commandAction, parseInteger, parseNumber, waitForStopSignal, webGpuInProcess, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

interface ServeOptions extends CommonOptions {
  model: string[];
  port: number;
  host: string;
  workers?: number;
  maxQueue: number;
  maxBodyMb: number;
  maxPixels: number;
  timeout?: number;
  inProcess?: boolean;
}

/** What the command needs from the outside; tests replace `waitForStop`. */
export interface ServeDependencies {
  /** Resolves when the service should shut down (default: SIGINT or SIGTERM). */
  waitForStop?: (url: string) => Promise<void>;
}

/** Requests queued per model by default: a service takes bursts (the library pools default to a few per worker). */
export const SERVE_MAX_QUEUE = 64;

/** The `serve` command. */
export function serveCommand(context: CliContext, dependencies: ServeDependencies = {}): Command {
  const command = new Command('serve')
    .description('Serve models over HTTP: POST an image to /v1/stylize/NAME or /v1/upscale/NAME; GET /healthz, GET /v1/models.')
    .requiredOption('--model <name=file|name>', 'a model to serve as NAME (letters, digits, . _ -), from a .safetensors model file, an ml5 checkpoint folder or a bundled model\'s name; NAME alone serves that bundled model (`perceptual models`); repeatable', collect)
    .option('--port <n>', 'port (0: any free port)', parseInteger, 8080)
    .option('--host <addr>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--workers <n>', 'worker threads per model (default: the pool\'s)', parseInteger)
    .option('--max-queue <n>', `requests waiting per model beyond the running ones; more get 503 with Retry-After (default ${SERVE_MAX_QUEUE}: a burst of that many clients waits rather than failing; bound their wait with --timeout)`, parseInteger, SERVE_MAX_QUEUE)
    .option('--max-body-mb <mb>', 'largest request body in MiB', parseNumber, 20)
    .option('--max-pixels <n>', 'largest input image in pixels (width x height)', parseInteger, 4096 * 4096)
    .option('--timeout <s>', 'per-request inference limit in seconds (503 when exceeded)', parseNumber)
    .option('--in-process', 'run inference in this thread (one job at a time) instead of a worker pool (always so with --backend webgpu)', false);
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: ServeOptions) => {
      const specs = parseModelSpecs(options.model);
      checkInteger(options.port, '--port', 0, 65535);
      positiveNumber(options.maxBodyMb, '--max-body-mb', 'a number > 0');
      if (options.timeout !== undefined) positiveNumber(options.timeout, '--timeout', 'a number of seconds > 0');
      const timeoutMs = options.timeout === undefined ? undefined : Math.round(options.timeout * 1000);
      const maxBodyBytes = Math.floor(options.maxBodyMb * 1024 * 1024);
      const { createService, serveNode, sharpCodec } = await import('../index.js');
      const createPool = await poolFactory(context, output, options);
      const models: ServiceModel[] = [];
      try {
        for (const { name, file: given } of specs) {
          const file = await resolveModel(given);
          const arch = await readModelArch(file);
          const pool = await createPool({
            model: file,
            ...(options.workers !== undefined ? { workers: options.workers } : {}),
            maxQueue: options.maxQueue,
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          });
          models.push({ name, pool, arch });
        }
      } catch (error) {
        await Promise.allSettled(models.map((m) => m.pool.close()));
        throw error;
      }
      const service = createService({ models, codec: sharpCodec, maxBodyBytes, maxPixels: options.maxPixels, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      let server;
      try {
        server = await serveNode(service, { port: options.port, host: options.host, maxBodyBytes });
      } catch (error) {
        await service.close();
        throw perceptualError('E_IO', `Cannot listen on ${options.host}:${options.port}: ${(error as Error).message}. Pick another --port or --host.`, error);
      }
      output.result(server.url);
      for (const m of models) {
        const route = m.pool.task === 'style' ? 'stylize' : 'upscale';
        output.info(`model ${m.name}: ${m.pool.task}${m.pool.scale > 1 ? ` x${m.pool.scale}` : ''}, POST ${server.url}/v1/${route}/${m.name} (${m.pool.stats.workers} worker${m.pool.stats.workers === 1 ? '' : 's'})`);
      }
      output.info('Ctrl-C (SIGINT) or SIGTERM stops after the requests in flight.');
      await (dependencies.waitForStop ?? waitForStopSignal)(server.url);
      output.info(`shutting down: ${server.inFlight} request(s) in flight`);
      await server.close();
      output.info('stopped');
    }),
  );
}

type PoolFactory = (options: { model: string; workers?: number; maxQueue?: number; timeoutMs?: number }) => Promise<InferencePool>;

/** The worker pool (src/serve/pool.node.ts), or with --in-process or webgpu the in-process pool on this thread's backend. */
async function poolFactory(context: CliContext, output: Output, options: ServeOptions): Promise<PoolFactory> {
  if (!options.inProcess && !webGpuInProcess(context, options)) return (await import('../index.js')).createPool;
  await chooseBackend(context, output, options.backend, 'infer');
  const { createInProcessPool } = await import('../index.js');
  return ({ model, maxQueue, timeoutMs }) =>
    createInProcessPool({ model, ...(maxQueue !== undefined ? { maxQueue } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}

/**
 * `NAME=FILE` pairs (or `NAME` alone, which stands for `NAME=NAME`: a bundled
 * model), names checked like the service does (no path characters), no
 * duplicates. FILE is resolved later (resolveModel: a path, or a bundled name).
 */
export function parseModelSpecs(values: readonly string[]): { name: string; file: string }[] {
  if (values.length === 0) throw optionRangeError('--model', 'given at least once as NAME=FILE', values);
  const seen = new Set<string>();
  return values.map((value) => {
    const eq = value.indexOf('=');
    if (eq < 0 && !MODEL_NAME_PATTERN.test(value)) {
      throw optionRangeError('--model', 'NAME=FILE (e.g. --model wave=models/wave.safetensors) or the NAME of a bundled model (`perceptual models` lists them)', value);
    }
    const name = eq < 0 ? value : value.slice(0, eq);
    const file = value.slice(eq + 1);
    if (eq === 0 || file === '') throw optionRangeError('--model', 'NAME=FILE (e.g. --model wave=models/wave.safetensors)', value);
    if (!MODEL_NAME_PATTERN.test(name)) {
      throw optionRangeError('--model', 'a NAME of letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)', name);
    }
    if (seen.has(name)) throw optionRangeError('--model', 'a different NAME for each model', name);
    seen.add(name);
    return { name, file };
  });
}

/**
 * The arch of a model file, from its safetensors header (8-byte length,
 * then JSON: SPEC section 5) without reading the tensors, with the defaults
 * of fields the file predates; null for an ml5 checkpoint folder or a header
 * without a valid one.
 * @throws PerceptualError E_IO when the path cannot be opened
 */
export async function readModelArch(path: string): Promise<unknown> {
  const info = await stat(path).catch((error: unknown) => {
    throw perceptualError('E_IO', `Cannot open the model ${path}: ${(error as Error).message}. Check the --model path.`, error);
  });
  if (info.isDirectory()) return null;
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    await file.read(head, 0, 8, 0);
    const length = Number(head.readBigUInt64LE(0));
    if (length > 1_000_000 || length > info.size) return null;
    const header = Buffer.alloc(length);
    await file.read(header, 0, length, 8);
    const meta = (JSON.parse(header.toString('utf8')) as { __metadata__?: { arch?: string } }).__metadata__;
    // Resolved, so that fields a file predates (a style model's kernel sizes) take their defaults.
    return meta?.arch ? parseArch(meta.arch, path) : null;
  } catch {
    return null; // the pool's own load reports a malformed file with the full reason
  } finally {
    await file.close();
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
