/**
 * @file A line search that returns a step satisfying the strong Wolfe
 * conditions (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithms
 * 3.5 and 3.6): bracketing with cubic extrapolation, then zoom with
 * safeguarded cubic interpolation. It follows the structure of
 * torch.optim.LBFGS's `_strong_wolfe` (pytorch/pytorch torch/optim/lbfgs.py),
 * so step choices match the optimiser most Gatys implementations use.
 */
import type { Objective } from './objective.js';
import { axpy, dot, maxAbs, type Vector } from './vector-ops.js';

/** Line search parameters (0 < c1 < c2 < 1). */
export interface StrongWolfeOptions {
  /** Sufficient decrease: f(x + t d) <= f(x) + c1 t g.d (default 1e-4). */
  readonly c1: number;
  /** Curvature: |g(x + t d).d| <= c2 |g.d| (default 0.9; tiny values make the search near exact). */
  readonly c2: number;
  /** Stop zooming when the bracket moves x by less than this (max norm; default 1e-9). */
  readonly toleranceChange: number;
  /** Most objective evaluations in one search (default 25). */
  readonly maxEvaluations: number;
}

/** The accepted step. */
export interface LineSearchResult {
  readonly t: number;
  readonly f: number;
  readonly g: Vector;
  readonly evaluations: number;
}

/**
 * The minimiser of the cubic interpolating (x1, f1, g1) and (x2, f2, g2),
 * clamped to `bounds` (default the interval between x1 and x2); the midpoint
 * when the cubic has no minimum. On a quadratic it is the exact minimiser.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: readonly [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    if (Number.isFinite(minPos)) return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/**
 * Searches along `d` from `x` (where the value is `f`, gradient `g`, and
 * `gtd = g.d < 0`) for a step t with sufficient decrease and small
 * directional derivative. Returns the best point it evaluated when it runs
 * out of evaluations (its f is then still below `f` unless the function is
 * pathological; the caller checks).
 */
export async function strongWolfe(objective: Objective, x: Vector, t0: number, d: Vector, f: number, g: Vector, gtd: number, options: StrongWolfeOptions): Promise<LineSearchResult> {
  const { c1, c2, toleranceChange, maxEvaluations } = options;
  const dNorm = maxAbs(d);
  const trial = new Float64Array(x.length);
  const evaluate = async (step: number) => {
    trial.set(x);
    axpy(step, d, trial);
    const value = await objective(trial);
    return { f: value.f, g: value.g, gtd: dot(value.g, d) };
  };
  let t = t0;
  let current = await evaluate(t);
  let evaluations = 1;
  let prev = { t: 0, f, g, gtd };
  let bracket: { t: number; f: number; g: Vector; gtd: number }[] | undefined;
  let done = false;
  // Bracketing phase (N&W Algorithm 3.5).
  while (evaluations < maxEvaluations) {
    if (current.f > f + c1 * t * gtd || (evaluations > 2 && current.f >= prev.f) || !Number.isFinite(current.f)) {
      bracket = [prev, { t, ...current }];
      break;
    }
    if (Math.abs(current.gtd) <= -c2 * gtd) {
      bracket = [{ t, ...current }];
      done = true;
      break;
    }
    if (current.gtd >= 0) {
      bracket = [prev, { t, ...current }];
      break;
    }
    const next = cubicInterpolate(prev.t, prev.f, prev.gtd, t, current.f, current.gtd, [t + 0.01 * (t - prev.t), t * 10]);
    prev = { t, ...current };
    t = next;
    current = await evaluate(t);
    evaluations += 1;
  }
  if (bracket === undefined) bracket = [{ t: 0, f, g, gtd }, { t, ...current }];
  // Zoom phase (N&W Algorithm 3.6) with torch's guard against insufficient progress.
  let insufficient = false;
  let [low, high] = bracket[0]!.f <= bracket[bracket.length - 1]!.f ? [0, 1] : [1, 0];
  while (!done && bracket.length === 2 && evaluations < maxEvaluations) {
    const [a, b] = bracket as [typeof prev, typeof prev];
    // A floor of 1e-12 ends a collapsed bracket even with toleranceChange 0.
    if (Math.abs(b.t - a.t) * dNorm < Math.max(toleranceChange, 1e-12)) break;
    const hiT = Math.max(a.t, b.t);
    const loT = Math.min(a.t, b.t);
    t = cubicInterpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd);
    const eps = 0.1 * (hiT - loT);
    if (Math.min(hiT - t, t - loT) < eps) {
      if (insufficient || t >= hiT || t <= loT) {
        t = Math.abs(t - hiT) < Math.abs(t - loT) ? hiT - eps : loT + eps;
        insufficient = false;
      } else {
        insufficient = true;
      }
    } else {
      insufficient = false;
    }
    current = await evaluate(t);
    evaluations += 1;
    const point = { t, ...current };
    if (current.f > f + c1 * t * gtd || current.f >= bracket[low]!.f || !Number.isFinite(current.f)) {
      bracket[high] = point;
      [low, high] = bracket[0]!.f <= bracket[1]!.f ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(current.gtd) <= -c2 * gtd) done = true;
      else if (current.gtd * (bracket[high]!.t - bracket[low]!.t) >= 0) bracket[high] = bracket[low]!;
      bracket[low] = point;
    }
  }
  const best = bracket[bracket.length === 1 ? 0 : low]!;
  return { t: best.t, f: best.f, g: best.g, evaluations };
}
