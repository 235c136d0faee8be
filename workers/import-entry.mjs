// Starts a worker whose entry is TypeScript source (tests, dev), the way piscina
// does: tsx's require hook (from --import tsx in the worker's execArgv)
// compiles it; on Node 20 an import() of .ts is refused in a worker thread.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';

createRequire(import.meta.url)(fileURLToPath(workerData.entry));
