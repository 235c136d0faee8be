/**
 * @file The contract between the optimisers and what they minimise.
 */
import type { Vector } from './vector-ops.js';

/** The value and gradient of f at one point. */
export interface ObjectiveValue {
  /** f(x). */
  readonly f: number;
  /** grad f(x), same length as x; the optimiser owns it afterwards. */
  readonly g: Vector;
}

/**
 * A differentiable function of a vector. It must not keep or modify `x`
 * (optimisers reuse their buffers). May be async (tfjs reads back gradients).
 */
export type Objective = (x: Vector) => ObjectiveValue | Promise<ObjectiveValue>;

/** Why an optimiser stopped. */
export const STOP_REASONS = Object.freeze({
  iterations: 'iterations',
  gradient: 'gradient',
  change: 'change',
  evaluations: 'evaluations',
  'line-search': 'line-search',
} as const);
export type StopReason = keyof typeof STOP_REASONS;

/** Reported after every iteration (an accepted step). */
export interface IterationInfo {
  /** 1-based count of completed iterations. */
  readonly iteration: number;
  /** f at the new iterate. */
  readonly f: number;
  /** The new iterate; read it synchronously, do not keep or modify it. */
  readonly x: Vector;
  /** Objective evaluations so far. */
  readonly evaluations: number;
  /** The step length taken (line search t, or the learning rate). */
  readonly step: number;
}

/** What an optimiser returns. */
export interface MinimizeResult {
  /** The best point found (L-BFGS: the last iterate, which has the lowest f; Adam: the last iterate). */
  readonly x: Vector;
  readonly f: number;
  readonly g: Vector;
  readonly iterations: number;
  readonly evaluations: number;
  readonly reason: StopReason;
  /** f after each iteration (index 0: the start). */
  readonly history: readonly number[];
}

/** Hooks every optimiser accepts. */
export interface MinimizeHooks {
  /** Called after each iteration; awaited (snapshots may write files). */
  onIteration?: (info: IterationInfo) => void | Promise<void>;
  /** Checked between iterations; aborting throws AbortError (E_ABORTED). */
  signal?: AbortSignal;
}
