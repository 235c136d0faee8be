/**
 * @file Progress for long commands: a cli-progress bar when stderr is a
 * terminal, otherwise plain lines (at most one per 10 %, or per 5 s when
 * the total is unknown) so logs and CI output stay readable.
 */
import cliProgress from 'cli-progress';
import type { CliContext } from './context.js';

/** A progress display; `stop()` always, also on failure. */
export interface Progress {
  /** Reports `value` out of `total` (total may be unknown: 0 or undefined). */
  update(value: number, total?: number): void;
  stop(): void;
}

export interface ProgressOptions {
  /** What is progressing (`vgg16 weights`). */
  readonly label: string;
  /** `bytes` shows MB; `count` plain numbers. */
  readonly unit?: 'bytes' | 'count';
  /** Clock for tests (ms). */
  readonly now?: () => number;
}

/** A progress display on `context.stderr`. */
export function createProgress(context: CliContext, options: ProgressOptions): Progress {
  const unit = options.unit ?? 'count';
  const show = (value: number) => (unit === 'bytes' ? `${(value / 1e6).toFixed(1)} MB` : String(value));
  if (context.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${options.label} [{bar}] {percentage}% | {shown} | ETA {eta_formatted}`,
        stream: context.stderr as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(value, total) {
        const known = total !== undefined && total > 0 ? total : Math.max(value, 1);
        if (!started) {
          bar.start(known, value, { shown: show(value) });
          started = true;
        } else {
          bar.setTotal(known);
          bar.update(value, { shown: show(value) });
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const now = options.now ?? Date.now;
  let lastStep = -1;
  let lastTime = -Infinity;
  let lastValue = 0;
  let lastTotal: number | undefined;
  let updated = false;
  const print = (value: number, total: number | undefined) =>
    context.stderr.write(
      total !== undefined && total > 0
        ? `${options.label}: ${show(value)} / ${show(total)} (${Math.floor((100 * value) / total)}%)\n`
        : `${options.label}: ${show(value)}\n`,
    );
  return {
    update(value, total) {
      updated = true;
      lastValue = value;
      lastTotal = total;
      if (total !== undefined && total > 0) {
        const step = Math.floor((10 * value) / total);
        if (step > lastStep) {
          lastStep = step;
          print(value, total);
        }
      } else if (now() - lastTime >= 5000) {
        lastTime = now();
        print(value, total);
      }
    },
    stop() {
      // The final value, unless the last line already showed it.
      if (updated && !(lastTotal !== undefined && lastTotal > 0 && lastStep === 10)) print(lastValue, lastTotal);
    },
  };
}
