/**
 * @file The loss curve of a training run as a Markdown table, for model
 * cards: the mean of each loss term over consecutive step ranges of a run's
 * log.jsonl, and the median step time.
 *
 *   node --import tsx scripts/loss-curve.ts RUN_DIR [--buckets 6] [--to STEP]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TrainLogEntry } from '../src/train/run-dir.js';

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { buckets: { type: 'string', default: '6' }, to: { type: 'string' } } });
if (positionals.length !== 1) {
  console.error('Usage: node --import tsx scripts/loss-curve.ts RUN_DIR [--buckets N] [--to STEP]');
  process.exit(2);
}
const to = opts.to === undefined ? Infinity : Number(opts.to);
const entries = (await readFile(join(positionals[0]!, 'log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as TrainLogEntry).filter((e) => e.step <= to);
// A resumed run re-logs the steps after its checkpoint; the last line of each step is the one the model carries.
const byStep = new Map(entries.map((e) => [e.step, e]));
const steps = [...byStep.values()].sort((a, b) => a.step - b.step);
if (steps.length === 0) {
  console.error(`${positionals[0]}: log.jsonl has no steps`);
  process.exit(1);
}
const sum = (terms: Record<string, number> | null | undefined) => Object.values(terms ?? {}).reduce((a, b) => a + b, 0);
const columns: [string, (e: TrainLogEntry) => number | null][] = [
  ['total', (e) => e.loss.total],
  ['content (feature)', (e) => (e.loss.feature ? sum(e.loss.feature) : null)],
  ['style', (e) => (e.loss.style ? sum(e.loss.style) : null)],
  ['pixel', (e) => e.loss.pixel ?? null],
  ['tv', (e) => e.loss.tv ?? null],
];
const used = columns.filter(([, get]) => steps.some((e) => get(e) !== null));
const buckets = Math.min(Number(opts.buckets), steps.length);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`| steps | ${used.map(([name]) => name).join(' | ')} | median step |`);
console.log(`| --- | ${used.map(() => '---').join(' | ')} | --- |`);
for (let b = 0; b < buckets; b++) {
  const part = steps.slice(Math.floor((b * steps.length) / buckets), Math.floor(((b + 1) * steps.length) / buckets));
  const means = used.map(([, get]) => {
    const values = part.map(get).filter((v): v is number => v !== null);
    return (values.reduce((a, c) => a + c, 0) / values.length).toPrecision(3);
  });
  console.log(`| ${part[0]!.step}-${part.at(-1)!.step} | ${means.join(' | ')} | ${(median(part.map((e) => e.stepMs)) / 1000).toFixed(1)} s |`);
}
