/**
 * @file What every benchmark prints with its results: the machine, the
 * command that reproduces them, and the load average at the start and the
 * end (a busy host shows there; numbers from one are not quotable).
 */
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os';
import { relative } from 'node:path';

/** "AMD EPYC x2 (2 usable), linux 6.x, Node 20.x". */
export function machineLine(): string {
  return `${cpus()[0]?.model?.trim() || 'unknown CPU'} x${cpus().length} (${availableParallelism()} usable), ${platform()} ${release()}, Node ${process.versions.node}`;
}

/** "0.52 / 0.61 / 0.70" (1, 5 and 15 minutes). */
export function loadAverageLine(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ');
}

/** The command line that ran this script, relative to the working directory. */
export function commandLine(): string {
  const script = process.argv[1] === undefined ? '?' : relative(process.cwd(), process.argv[1]);
  return `node --import tsx ${script} ${process.argv.slice(2).join(' ')}`.trimEnd();
}

/** Machine, command and load average now; `end()` gives the load-average line for the end of the run. */
export function hostReport(): { lines: string[]; end: () => string } {
  const start = loadAverageLine();
  return {
    lines: [`Machine: ${machineLine()}`, `Command: \`${commandLine()}\``, `Load average (1/5/15 min) at start: ${start}`],
    end: () => `Load average (1/5/15 min) at start: ${start}; at end: ${loadAverageLine()}`,
  };
}
