/**
 * @file Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd
 * ed., Algorithm 7.4 two-loop recursion and 7.5), the optimiser Gatys et al.
 * used for style transfer and Johnson et al.'s Table 1 times.
 *
 * Two step rules:
 * - `strong-wolfe` (default): a line search that enforces the strong Wolfe
 *   conditions (see strong-wolfe.ts), so f decreases at every iteration and
 *   s.y > 0 keeps the inverse Hessian approximation positive definite.
 * - `none`: a fixed step `lr` (the first iteration scaled by
 *   min(1, 1/|g|_1)), which is torch.optim.LBFGS's default and what many
 *   Gatys implementations run; cheaper per iteration, no decrease guarantee.
 *
 * The initial inverse Hessian of each two-loop recursion is gamma I with
 * gamma = s.y / y.y of the newest pair (N&W eq. 7.20). Pairs with
 * s.y <= 1e-10 are skipped (as torch does), which keeps H positive definite
 * under the `none` rule too.
 */
import { optionRangeError, throwIfAborted } from '../errors.js';
import { checkInteger, checkOneOf, positiveNumber } from '../validate.js';
import type { MinimizeHooks, MinimizeResult, Objective, StopReason } from './objective.js';
import { strongWolfe } from './strong-wolfe.js';
import { axpy, dot, maxAbs, sumAbs, type Vector } from './vector-ops.js';

/** The step rules of `minimizeLbfgs`. */
export const LBFGS_LINE_SEARCHES = Object.freeze(['strong-wolfe', 'none'] as const);
export type LbfgsLineSearch = (typeof LBFGS_LINE_SEARCHES)[number];

/** Options of `minimizeLbfgs`; every field optional. */
export interface LbfgsOptions {
  /** Iterations (accepted steps) at most (default 100). */
  maxIterations?: number;
  /** Objective evaluations at most, line searches included (default 1.25 x maxIterations + 25). */
  maxEvaluations?: number;
  /** Correction pairs kept (default 10; torch's default is 100). */
  memory?: number;
  /** Step rule (default `strong-wolfe`). */
  lineSearch?: LbfgsLineSearch;
  /** Initial trial step of the line search, or the fixed step of `none` (default 1). */
  lr?: number;
  /** Stop when max |g_i| <= this (default 1e-7). */
  gradientTolerance?: number;
  /** Stop when the step or the change of f is below this (default 1e-9; 0 disables). */
  changeTolerance?: number;
  /** Sufficient-decrease constant of the line search (default 1e-4). */
  c1?: number;
  /** Curvature constant of the line search (default 0.9). */
  c2?: number;
}

/** `LbfgsOptions` with every field set. */
export type ResolvedLbfgsOptions = Readonly<Required<LbfgsOptions>>;

/** Defaults (torch.optim.LBFGS's, except memory 10 instead of 100 to bound host memory: 2 x memory x n float64). */
export const DEFAULT_LBFGS_OPTIONS = Object.freeze({
  maxIterations: 100,
  memory: 10,
  lineSearch: 'strong-wolfe' as LbfgsLineSearch,
  lr: 1,
  gradientTolerance: 1e-7,
  changeTolerance: 1e-9,
  c1: 1e-4,
  c2: 0.9,
});

/**
 * Validates and merges `options`.
 * @throws RangeError E_OPTIONS naming the option (`options.memory must be a positive integer (received 0)`)
 */
export function resolveLbfgsOptions(options: LbfgsOptions = {}): ResolvedLbfgsOptions {
  const o = { ...DEFAULT_LBFGS_OPTIONS, ...options };
  checkInteger(o.maxIterations, 'options.maxIterations', 1);
  checkInteger(o.memory, 'options.memory', 1);
  const maxEvaluations = checkInteger(options.maxEvaluations ?? Math.ceil(o.maxIterations * 1.25) + 25, 'options.maxEvaluations', 1);
  checkOneOf(o.lineSearch, 'options.lineSearch', LBFGS_LINE_SEARCHES);
  positiveNumber(o.lr, 'options.lr');
  for (const name of ['gradientTolerance', 'changeTolerance'] as const) {
    if (!(o[name] >= 0)) throw optionRangeError(`options.${name}`, 'a number >= 0', o[name]);
  }
  if (!(o.c1 > 0 && o.c1 < o.c2 && o.c2 < 1)) throw optionRangeError('options.c1, options.c2', '0 < c1 < c2 < 1', `${o.c1}, ${o.c2}`);
  return Object.freeze({ ...o, maxEvaluations });
}

/** The correction pairs s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k, oldest first. */
export interface LbfgsHistory {
  readonly s: Vector[];
  readonly y: Vector[];
}

/**
 * The two-loop recursion (N&W Algorithm 7.4): d = -H g, with H the L-BFGS
 * inverse Hessian approximation from `history` and initial matrix gamma I.
 * With an empty history, d = -gamma g (gamma = 1: steepest descent).
 * @returns a new vector.
 */
export function lbfgsDirection(g: Vector, history: LbfgsHistory, gamma = 1): Vector {
  const { s, y } = history;
  const k = s.length;
  const q = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) q[i] = -g[i]!;
  const alpha = new Float64Array(k);
  const rho = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    rho[i] = 1 / dot(y[i]!, s[i]!);
    alpha[i] = rho[i]! * dot(s[i]!, q);
    axpy(-alpha[i]!, y[i]!, q);
  }
  for (let i = 0; i < q.length; i++) q[i]! *= gamma;
  for (let i = 0; i < k; i++) {
    const beta = rho[i]! * dot(y[i]!, q);
    axpy(alpha[i]! - beta, s[i]!, q);
  }
  return q;
}

/**
 * Minimises `objective` from `x0` with L-BFGS.
 * @param x0 the start (not modified).
 * @returns the last iterate, its value and gradient, counts, why it stopped and f per iteration.
 * @throws RangeError E_OPTIONS for bad options; AbortError E_ABORTED when `hooks.signal` aborts;
 *   whatever `objective` or `hooks.onIteration` throw.
 * @example
 * const r = await minimizeLbfgs((x) => ({ f: dot(x, x), g: x.map((v) => 2 * v) }), Float64Array.of(3, 4));
 */
export async function minimizeLbfgs(objective: Objective, x0: Vector, options: LbfgsOptions = {}, hooks: MinimizeHooks = {}): Promise<MinimizeResult> {
  const o = resolveLbfgsOptions(options);
  const x = Float64Array.from(x0);
  let { f, g } = await objective(x);
  let evaluations = 1;
  const history: number[] = [f];
  const pairs: LbfgsHistory = { s: [], y: [] };
  let gamma = 1;
  let iterations = 0;
  let reason: StopReason = 'iterations';
  if (maxAbs(g) <= o.gradientTolerance) return { x, f, g, iterations, evaluations, reason: 'gradient', history };
  let prevG: Vector | undefined;
  let prevStep: Vector | undefined;
  while (iterations < o.maxIterations) {
    throwIfAborted(hooks.signal);
    if (prevG !== undefined && prevStep !== undefined) {
      const y = new Float64Array(g.length);
      for (let i = 0; i < y.length; i++) y[i] = g[i]! - prevG[i]!;
      const ys = dot(y, prevStep);
      if (ys > 1e-10) {
        if (pairs.s.length === o.memory) {
          pairs.s.shift();
          pairs.y.shift();
        }
        pairs.s.push(prevStep);
        pairs.y.push(y);
        gamma = ys / dot(y, y);
      }
    }
    const d = lbfgsDirection(g, pairs, gamma);
    const gtd = dot(g, d);
    // Not a descent direction (round-off at convergence): nothing left to gain.
    if (gtd > -o.changeTolerance || !Number.isFinite(gtd)) {
      reason = 'change';
      break;
    }
    // First step: scale so that the first trial moves x by at most lr in l1 norm of g (torch).
    const t0 = iterations === 0 ? Math.min(1, 1 / sumAbs(g)) * o.lr : o.lr;
    const fOld = f;
    prevG = g;
    let t: number;
    if (o.lineSearch === 'strong-wolfe') {
      const result = await strongWolfe(objective, x, t0, d, f, g, gtd, { c1: o.c1, c2: o.c2, toleranceChange: o.changeTolerance, maxEvaluations: Math.max(1, Math.min(25, o.maxEvaluations - evaluations)) });
      evaluations += result.evaluations;
      t = result.t;
      if (!(result.f < f) || t === 0) {
        // No decrease along a descent direction: the search ran out; keep the current point.
        reason = 'line-search';
        break;
      }
      axpy(t, d, x);
      ({ f, g } = result);
    } else {
      t = t0;
      axpy(t, d, x);
      ({ f, g } = await objective(x));
      evaluations += 1;
    }
    prevStep = d;
    for (let i = 0; i < d.length; i++) d[i]! *= t;
    iterations += 1;
    history.push(f);
    await hooks.onIteration?.({ iteration: iterations, f, x, evaluations, step: t });
    if (!Number.isFinite(f)) {
      reason = 'change';
      break;
    }
    if (maxAbs(g) <= o.gradientTolerance) {
      reason = 'gradient';
      break;
    }
    if (maxAbs(prevStep) <= o.changeTolerance || Math.abs(f - fOld) < o.changeTolerance) {
      reason = 'change';
      break;
    }
    if (evaluations >= o.maxEvaluations) {
      reason = 'evaluations';
      break;
    }
  }
  return { x, f, g, iterations, evaluations, reason, history };
}
