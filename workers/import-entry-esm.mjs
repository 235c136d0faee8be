// Starts a worker whose entry is TypeScript source (tests, dev) as an ES module
// graph: tsx's ESM hooks are registered inside the worker (module.register), so
// an import() of a .ts module works there too (src/train/run-inputs.ts loads the
// loss networks on use). import-entry.mjs's require hook cannot do that: on
// Node 20 the hooks of --import tsx in execArgv do not reach a worker's import().
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
