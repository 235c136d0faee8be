/**
 * @file Adam (Kingma & Ba 2015, Algorithm 1) over a host vector: the
 * first-order alternative to L-BFGS for optimising pixels. An optional
 * projection after each step (e.g. clipping to [0, 1]) makes it projected
 * Adam, which L-BFGS's line search could not accommodate.
 */
import { optionRangeError, throwIfAborted } from '../errors.js';
import { checkInteger, positiveNumber } from '../validate.js';
import type { MinimizeHooks, MinimizeResult, Objective } from './objective.js';
import { type Vector } from './vector-ops.js';

/** Options of `minimizeAdam`; every field optional. */
export interface AdamOptions {
  /** Steps (default 100). */
  maxIterations?: number;
  /** Step size (default 0.02: about 5 grey levels of an 8-bit image per step at first). */
  lr?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Applied to x in place after each step (default none). */
  project?: (x: Vector) => void;
}

/** Defaults (Kingma & Ba's betas and epsilon). */
export const DEFAULT_ADAM_OPTIONS = Object.freeze({ maxIterations: 100, lr: 0.02, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

/**
 * Minimises `objective` from `x0` with Adam. Evaluates the objective
 * maxIterations + 1 times, so every reported f belongs to the iterate it is
 * reported with.
 * @returns the last iterate, its value and gradient; `history[k]` is f after k steps.
 * @throws RangeError E_OPTIONS for a bad option; AbortError E_ABORTED when `hooks.signal` aborts.
 * @example
 * const r = await minimizeAdam(objective, x0, { maxIterations: 200, lr: 0.05, project: clipUnit });
 */
export async function minimizeAdam(objective: Objective, x0: Vector, options: AdamOptions = {}, hooks: MinimizeHooks = {}): Promise<MinimizeResult> {
  const o = { ...DEFAULT_ADAM_OPTIONS, ...options };
  checkInteger(o.maxIterations, 'options.maxIterations', 1);
  positiveNumber(o.lr, 'options.lr');
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1)) throw optionRangeError('options.beta1, options.beta2', 'numbers in [0, 1)', `${o.beta1}, ${o.beta2}`);
  const x = Float64Array.from(x0);
  o.project?.(x);
  const m = new Float64Array(x.length);
  const v = new Float64Array(x.length);
  let { f, g } = await objective(x);
  let evaluations = 1;
  const history = [f];
  let iterations = 0;
  for (let k = 1; k <= o.maxIterations; k++) {
    throwIfAborted(hooks.signal);
    const c1 = 1 - o.beta1 ** k;
    const c2 = 1 - o.beta2 ** k;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i]!;
      m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi;
      v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi;
      x[i]! -= (o.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + o.epsilon);
    }
    o.project?.(x);
    ({ f, g } = await objective(x));
    evaluations += 1;
    iterations = k;
    history.push(f);
    await hooks.onIteration?.({ iteration: k, f, x, evaluations, step: o.lr });
  }
  return { x, f, g, iterations, evaluations, reason: 'iterations', history };
}
