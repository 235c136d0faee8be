/**
 * @file A contestant (bench/interleave.ts) that lives in its own Node
 * process: its peak RSS is its own, it can load a runtime with its own
 * thread count, and it is started, loaded and warmed up once, then told to
 * run one turn at a time over IPC. The child times each turn itself, so the
 * message round trip is not counted.
 *
 * Parent: `startProcessContestant(name, script, args)` forks `script` (under
 * the parent's own `--import tsx`) and resolves once the child is ready.
 * Child: the same script calls `serveContestant(setup)` when it sees the
 * args it was given, and does nothing else. A peer in another language is
 * started with `options.interpreter` (`python3`): Node's IPC channel
 * is line-delimited JSON on the descriptor in NODE_CHANNEL_FD, so the child
 * speaks the same messages (bench/torch-train-step.py).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import type { Contestant, Sample } from './interleave.js';

/** What a child's turn returns: the check value and any further per-turn figures. */
export interface TurnOutcome {
  readonly check?: number;
  readonly extras?: Readonly<Record<string, number>>;
}

/** A child's loaded, warmed-up contestant. */
export interface ServedContestant {
  /** One turn (timed by `serveContestant` around this call). */
  run(): Promise<TurnOutcome | number | void>;
  close?(): Promise<void>;
  /** Shown by the parent (versions, thread counts, ...). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

type ToChild = { type: 'run' } | { type: 'close' };
type FromChild =
  | { type: 'ready'; details: Record<string, string | number | boolean> }
  | { type: 'sample'; sample: Sample }
  | { type: 'closed'; maxRssMb: number }
  | { type: 'error'; message: string };

export interface ProcessContestant extends Contestant {
  /** The child's `details`. */
  readonly details: Readonly<Record<string, string | number | boolean>>;
  /** The child's peak RSS in MB (process.resourceUsage().maxRSS, every thread), known after `close`. */
  maxRssMb(): number | undefined;
}

export interface ProcessOptions {
  /** Longest the child may take to load and warm up (default 10 minutes). */
  readonly setupTimeoutMs?: number;
  /** Longest one turn may take (default 10 minutes). */
  readonly runTimeoutMs?: number;
  /** A non-Node child: the program that runs `script` (`python3`), instead of a fork of this Node. */
  readonly interpreter?: string;
}

/** The last `limit` characters of what a stream printed (the reason a child died is at its end). */
function tail(stream: NodeJS.ReadableStream | null, limit = 8000): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-limit);
  });
  return () => text;
}

/** Forks `script args...` as one contestant and waits until it has loaded and warmed up. */
export async function startProcessContestant(name: string, script: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessContestant> {
  const stdio = ['ignore', 'pipe', 'pipe', 'ipc'] as const;
  const child: ChildProcess =
    options.interpreter === undefined
      ? fork(script, [...args], { stdio: [...stdio] })
      : spawn(options.interpreter, [script, ...args], { stdio: [...stdio], serialization: 'json' });
  const output = tail(child.stdout);
  const errors = tail(child.stderr);
  const waiting: Array<{ resolve: (m: FromChild) => void; reject: (e: Error) => void }> = [];
  const inbox: FromChild[] = [];
  let exited: Error | undefined;
  child.on('message', (message: FromChild) => {
    const next = waiting.shift();
    if (next) next.resolve(message);
    else inbox.push(message);
  });
  child.on('error', (error) => {
    exited ??= new Error(`${name}: ${error.message}`);
  });
  child.on('exit', (code, signal) => {
    // The error line, not the stack under it (the last lines of a crash are `at ...` frames and the Node version).
    const printed = (errors() || output()).trim().split('\n');
    const reason = printed.find((l) => /\b\w*Error\b/.test(l)) ?? printed.at(-1) ?? '';
    exited = new Error(`${name}: the contestant process exited (${signal ?? `code ${code}`})${reason ? `: ${reason.trim()}` : ''}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const receive = (timeoutMs: number, what: string): Promise<FromChild> => {
    const queued = inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (exited) return Promise.reject(exited);
    return new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name}: no answer to ${what} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      waiting.push({
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  };
  const send = (message: ToChild): void => {
    if (exited) throw exited;
    child.send(message);
  };

  const ready = await receive(options.setupTimeoutMs ?? 600_000, 'setup').catch((error: Error) => ({ type: 'error', message: error.message }) as FromChild);
  if (ready.type !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(ready.type === 'error' ? ready.message : `${name}: unexpected '${ready.type}' during setup`);
  }
  let maxRssMb: number | undefined;
  return {
    name,
    details: ready.details,
    maxRssMb: () => maxRssMb,
    async run() {
      send({ type: 'run' });
      const answer = await receive(options.runTimeoutMs ?? 600_000, 'a turn');
      if (answer.type === 'sample') return answer.sample;
      throw new Error(answer.type === 'error' ? answer.message : `${name}: unexpected '${answer.type}' after run`);
    },
    async close() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      send({ type: 'close' });
      const answer = await receive(60_000, 'close').catch(() => undefined);
      if (answer?.type === 'closed') maxRssMb = answer.maxRssMb;
      if (child.connected) child.disconnect();
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    },
  };
}

/**
 * Child side: runs `setup` (load, warm up), tells the parent it is ready,
 * then answers each `run` with one timed turn and `close` with its peak RSS.
 * Any error goes to the parent as its message (the parent decides what fails).
 */
export async function serveContestant(setup: () => Promise<ServedContestant>): Promise<void> {
  if (process.send === undefined) throw new Error('serveContestant: not started by startProcessContestant (no IPC channel)');
  const reply = (message: FromChild): Promise<void> => new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
  // Nothing else (a worker pool's handles, a runtime's threads) may keep the finished child alive.
  const leave = (): never => process.exit(0);
  const messageOf = (error: unknown): string => String((error as Error)?.message ?? error).split('\n')[0]!;
  let served: ServedContestant;
  try {
    served = await setup();
  } catch (error) {
    await reply({ type: 'error', message: messageOf(error) });
    return leave();
  }
  await reply({ type: 'ready', details: { ...served.details } });
  // Turns run one at a time: the parent waits for each answer before it sends again.
  process.on('message', (message: ToChild) => {
    void (async () => {
      if (message.type === 'run') {
        try {
          const start = performance.now();
          const outcome = await served.run();
          const ms = performance.now() - start;
          const turn: TurnOutcome = typeof outcome === 'number' ? { check: outcome } : (outcome ?? {});
          await reply({ type: 'sample', sample: { ms, ...turn } });
        } catch (error) {
          await reply({ type: 'error', message: messageOf(error) });
        }
      } else if (message.type === 'close') {
        try {
          await served.close?.();
        } finally {
          await reply({ type: 'closed', maxRssMb: process.resourceUsage().maxRSS / 1024 });
          leave();
        }
      }
    })();
  });
}
