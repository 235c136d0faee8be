/**
 * @file Progress of `perceptual train`: one line per report with the step,
 * every loss component, it/s, images/s and ETA; redrawn in place on a
 * terminal, plain lines (at most one per 10 s, plus checkpoints) otherwise.
 */
import type { TrainEvent } from '../train/train.js';
import type { CliContext } from './context.js';

function format(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  return a >= 1000 || a < 1e-3 ? n.toExponential(2) : n.toPrecision(3);
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

/** Returns an event handler that renders training progress on `context.stderr`. */
export function trainProgress(context: CliContext, now: () => number = Date.now): (event: TrainEvent) => void {
  let lastPrint = -Infinity;
  let ema: number | undefined;
  return (event) => {
    if (event.type === 'warning') {
      context.stderr.write(`${context.isTTY ? '\n' : ''}${event.message}\n`);
    } else if (event.type === 'start') {
      context.stderr.write(
        `training ${event.arch.task} ${JSON.stringify(event.arch)} with ${event.lossNetwork}: ${event.datasetSize} images` +
          `${event.skipped > 0 ? ` (${event.skipped} skipped)` : ''}, steps ${event.step}/${event.total}` +
          `${event.workers > 1 ? `, each batch split over ${event.workers} worker threads` : ''}` +
          `${event.resumedFrom ? `, resumed from ${event.resumedFrom}` : ''}\n`,
      );
    } else if (event.type === 'checkpoint' || event.type === 'preview') {
      if (!context.isTTY) context.stderr.write(`${event.type} ${event.path}\n`);
    } else if (event.type === 'step') {
      ema = ema === undefined ? event.stepMs : 0.9 * ema + 0.1 * event.stepMs;
      const parts = [
        `total ${format(event.loss.total)}`,
        ...Object.entries(event.loss.feature).map(([k, v]) => `feat ${k} ${format(v)}`),
        ...Object.entries(event.loss.style).map(([k, v]) => `style ${k} ${format(v)}`),
        ...(event.loss.pixel !== null ? [`pixel ${format(event.loss.pixel)}`] : []),
        ...(event.loss.tv !== null ? [`tv ${format(event.loss.tv)}`] : []),
      ];
      const line = `step ${event.step}/${event.total} | ${parts.join(' ')} | ${(1000 / ema).toFixed(2)} it/s ${((event.imagesPerSec * event.stepMs) / ema).toFixed(1)} img/s | ETA ${eta(((event.total - event.step) * ema) / 1000)}`;
      if (context.isTTY) context.stderr.write(`\r\x1b[2K${line}${event.step === event.total ? '\n' : ''}`);
      else if (now() - lastPrint >= 10_000 || event.step === event.total || event.step === 1) {
        context.stderr.write(`${line}\n`);
        lastPrint = now();
      }
    }
  };
}
