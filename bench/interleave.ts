/**
 * @file Comparisons measured in one run: every contestant is set up and
 * warmed up once, then each round times every contestant once, in an order
 * rotated by one each round. A host that slows down during the run (other
 * jobs, frequency changes) then slows every contestant alike, and the ratio
 * of two contestants timed in the same round cancels most of it; running
 * one contestant's repeats after the other's does not. The benchmarks that
 * compare (infer, sr-peers, pool-throughput, train-workers, distill-speed,
 * core-scaling, conv-kernels) all go through `interleave`.
 */
import { median } from './bench-args.js';

/** One timed turn of one contestant. */
export interface Sample {
  readonly ms: number;
  /** A value that shows what was computed (an output mean), for the caller to compare across contestants. */
  readonly check?: number;
  /** Further per-turn figures (CPU cores busy, ...). */
  readonly extras?: Readonly<Record<string, number>>;
}

/** Something to time: set up and warmed before it is handed to `interleave`. */
export interface Contestant {
  readonly name: string;
  /** One timed unit of work. */
  run(): Promise<Sample>;
  /** Releases what the contestant holds (its process, pool, tensors). */
  close(): Promise<void>;
}

export interface InterleaveOptions {
  /** Timed rounds. */
  readonly rounds: number;
  /** Untimed rounds before them (for contestants that did not warm up when they were set up). */
  readonly warmupRounds?: number;
  /**
   * Pause between turns (ms, untimed), so that a finished contestant's
   * spinning threads (onnxruntime's intra-op pool spins before it sleeps)
   * are idle before the next one starts. Default 0.
   */
  readonly settleMs?: number;
  /** Called after every timed turn (progress lines). */
  readonly onSample?: (round: number, name: string, sample: Sample) => void;
}

/** What `interleave` measured. */
export interface Interleaved {
  /** The contestants' names, in the order given. */
  readonly names: readonly string[];
  /**
   * Per contestant, one sample per timed round from round 0 on; a contestant
   * that failed stops there, so its list is a prefix of the rounds.
   */
  readonly samples: ReadonlyMap<string, readonly Sample[]>;
  /** The order of the turns in each timed round. */
  readonly orders: readonly (readonly string[])[];
  /** Contestants that threw, with the first line of the error; they were not run after that. */
  readonly failures: ReadonlyMap<string, string>;
}

/** `items` rotated left by `round` (round 0: as given), so each contestant takes every position in turn. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = ((round % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Wraps an in-process function as a contestant: `run` times one call of `work` (which returns the check value, if any). */
export function inProcess(name: string, work: () => Promise<number | void> | number | void, close: () => Promise<void> | void = () => {}): Contestant {
  return {
    name,
    async run() {
      const start = performance.now();
      const check = await work();
      const ms = performance.now() - start;
      return typeof check === 'number' ? { ms, check } : { ms };
    },
    async close() {
      await close();
    },
  };
}

/**
 * Times `contestants` round by round (see the file comment). A contestant
 * that throws is recorded in `failures` and left out of later rounds; the
 * others go on. Does not close the contestants (the caller owns them).
 */
export async function interleave(contestants: readonly Contestant[], options: InterleaveOptions): Promise<Interleaved> {
  const names = contestants.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new Error(`interleave: contestant names must differ: ${names.join(', ')}`);
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error(`interleave: rounds must be a positive integer, got ${options.rounds}`);
  const warmupRounds = options.warmupRounds ?? 0;
  const settleMs = options.settleMs ?? 0;
  const samples = new Map<string, Sample[]>(names.map((n) => [n, []]));
  const failures = new Map<string, string>();
  const orders: string[][] = [];
  for (let round = -warmupRounds; round < options.rounds; round++) {
    const order = roundOrder(contestants, round).filter((c) => !failures.has(c.name));
    if (round >= 0) orders.push(order.map((c) => c.name));
    for (const contestant of order) {
      if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
      let sample: Sample;
      try {
        sample = await contestant.run();
      } catch (error) {
        failures.set(contestant.name, String((error as Error)?.message ?? error).split('\n')[0]!);
        continue;
      }
      if (round < 0) continue;
      samples.get(contestant.name)!.push(sample);
      options.onSample?.(round, contestant.name, sample);
    }
  }
  return { names, samples, orders, failures };
}

/** Per timed round in which both ran, `numerator` ms / `denominator` ms. */
export function sameRoundRatios(result: Interleaved, numerator: string, denominator: string): number[] {
  const a = result.samples.get(numerator) ?? [];
  const b = result.samples.get(denominator) ?? [];
  return Array.from({ length: Math.min(a.length, b.length) }, (_, i) => a[i]!.ms / b[i]!.ms);
}

/** One contestant's figures, and against a base contestant if one is given. */
export interface ContestantSummary {
  readonly name: string;
  /** Timed ms per round (empty if it failed before its first timed round). */
  readonly ms: readonly number[];
  /** Median of `ms` (NaN when empty). */
  readonly medianMs: number;
  /** The last sample's check value. */
  readonly check?: number;
  readonly failure?: string;
  /** This contestant's ms / the base's ms: median of the same-round ratios, their range, and the ratio of the medians. */
  readonly vsBase?: { readonly sameRound: number; readonly min: number; readonly max: number; readonly ofMedians: number };
}

/** Medians per contestant and, against `base` (when it ran), same-round ratios. */
export function summarize(result: Interleaved, base?: string): ContestantSummary[] {
  const baseMs = base === undefined ? [] : (result.samples.get(base) ?? []).map((s) => s.ms);
  return result.names.map((name) => {
    const list = result.samples.get(name) ?? [];
    const ms = list.map((s) => s.ms);
    const medianMs = ms.length > 0 ? median(ms) : NaN;
    const ratios = base !== undefined && name !== base ? sameRoundRatios(result, name, base) : [];
    return {
      name,
      ms,
      medianMs,
      ...(list.length > 0 && list.at(-1)!.check !== undefined ? { check: list.at(-1)!.check } : {}),
      ...(result.failures.has(name) ? { failure: result.failures.get(name)! } : {}),
      ...(ratios.length > 0 ? { vsBase: { sameRound: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), ofMedians: medianMs / median(baseMs) } } : {}),
    };
  });
}

/** "2.17 (2.05-2.31)": a same-round ratio median with its range, for tables. */
export function formatRatio(vs: ContestantSummary['vsBase'], digits = 2): string {
  return vs === undefined ? '-' : `${vs.sameRound.toFixed(digits)} (${vs.min.toFixed(digits)}-${vs.max.toFixed(digits)})`;
}
