import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lbfgsDirection, minimizeLbfgs, resolveLbfgsOptions } from '../../src/optimize/lbfgs.js';
import { cubicInterpolate } from '../../src/optimize/strong-wolfe.js';
import { minimizeAdam } from '../../src/optimize/adam.js';
import type { Objective } from '../../src/optimize/objective.js';
import { Random } from '../../src/random.js';

/** A = Q diag(eigs) Q^T with Q from Gram-Schmidt of seeded random vectors; b seeded. */
function quadratic(n: number, eigs: number[], seed: number): { A: Float64Array[]; b: Float64Array; xStar: Float64Array; objective: Objective } {
  const random = new Random(seed);
  const q: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = Float64Array.from({ length: n }, () => random.normal());
    for (const u of q) {
      const p = u.reduce((s, ui, k) => s + ui * v[k]!, 0);
      for (let k = 0; k < n; k++) v[k]! -= p * u[k]!;
    }
    const norm = Math.hypot(...v);
    q.push(v.map((x) => x / norm));
  }
  const A = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => q.reduce((s, u, k) => s + eigs[k]! * u[i]! * u[j]!, 0)));
  const b = Float64Array.from({ length: n }, () => random.normal());
  // x* = A^{-1} b = sum_k (u_k . b / eig_k) u_k, independently of the optimiser.
  const xStar = new Float64Array(n);
  q.forEach((u, k) => {
    const c = u.reduce((s, ui, i) => s + ui * b[i]!, 0) / eigs[k]!;
    for (let i = 0; i < n; i++) xStar[i]! += c * u[i]!;
  });
  const objective: Objective = (x) => {
    const Ax = A.map((row) => row.reduce((s, a, j) => s + a * x[j]!, 0));
    const f = 0.5 * Ax.reduce((s, v, i) => s + v * x[i]!, 0) - b.reduce((s, v, i) => s + v * x[i]!, 0);
    return { f, g: Float64Array.from(Ax, (v, i) => v - b[i]!) };
  };
  return { A, b, xStar, objective };
}

const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

test('cubic interpolation returns the exact minimiser of a parabola', () => {
  const f = (t: number) => 3 * (t - 0.7) ** 2 + 1;
  const df = (t: number) => 6 * (t - 0.7);
  assert.ok(Math.abs(cubicInterpolate(0, f(0), df(0), 2, f(2), df(2)) - 0.7) < 1e-12);
  // No minimum inside: clamped to the bounds.
  assert.is(cubicInterpolate(0, f(0), df(0), 0.5, f(0.5), df(0.5), [0.5, 0.6]), 0.6);
});

test('first direction is steepest descent; two-loop recursion satisfies the secant equation H y = s', () => {
  const g = Float64Array.of(1, -2, 3);
  assert.equal(Array.from(lbfgsDirection(g, { s: [], y: [] })), [-1, 2, -3]);
  const s = Float64Array.of(0.5, 1, -1);
  const y = Float64Array.of(1, 2.5, -1.5);
  // -d(y) = H y must equal s for the newest pair (BFGS secant condition).
  const d = lbfgsDirection(y, { s: [s], y: [y] }, 0.3);
  assert.ok(maxDiff(d.map((v) => -v), s) < 1e-12);
});

test('first L-BFGS step moves along -g (the first iterate is x0 - t g0)', async () => {
  const { objective } = quadratic(5, [1, 2, 3, 4, 5], 3);
  const x0 = Float64Array.of(1, 2, 3, 4, 5);
  const g0 = (await objective(x0)).g;
  let first: Float64Array | undefined;
  await minimizeLbfgs(objective, x0, { maxIterations: 1 }, { onIteration: ({ x }) => { first = Float64Array.from(x); } });
  const step = first!.map((v, i) => v - x0[i]!);
  const t = -step[0]! / g0[0]!;
  assert.ok(t > 0);
  assert.ok(maxDiff(step, g0.map((v) => -t * v)) < 1e-12);
});

// With an exact line search, L-BFGS with memory >= n is conjugate gradients on a
// quadratic (Nocedal & Wright section 7.2 / 6.1): the minimiser after at most n
// iterations. c2 = 1e-10 (c1 must be below it) makes the strong Wolfe search exact up to round-off
// (on a parabola the cubic interpolation lands on the exact minimiser), so the
// test allows n + 1 iterations: one for round-off at condition number 20.
test('convex quadratic, n = 8, cond 20, exact line search: x* = A^-1 b to 1e-6 within n + 1 iterations', async () => {
  const n = 8;
  const { xStar, objective } = quadratic(n, [1, 1.5, 2.5, 4, 6, 9, 14, 20], 7);
  const r = await minimizeLbfgs(objective, new Float64Array(n), { memory: n, c1: 1e-12, c2: 1e-10, gradientTolerance: 1e-10, changeTolerance: 0, maxIterations: 50 });
  assert.ok(maxDiff(r.x, xStar) < 1e-6, `error ${maxDiff(r.x, xStar)}`);
  assert.ok(r.iterations <= n + 1, `took ${r.iterations} iterations`);
  assert.is(r.reason, 'gradient');
  console.log(`  exact line search: ${r.iterations} iterations, ${r.evaluations} evaluations`);
});

// With the default inexact search (c2 = 0.9) finite termination is lost; L-BFGS
// is still superlinear here. 3n bounds what it needs on this problem
// (it needs 20 = 2.5n) while failing if the curvature pairs or the search were wrong
// (steepest descent needs ~ cond * ln(1e7) = 300 iterations).
test('convex quadratic, default strong Wolfe: converges to 1e-6 within 3n iterations, f decreasing', async () => {
  const n = 8;
  const { xStar, objective } = quadratic(n, [1, 1.5, 2.5, 4, 6, 9, 14, 20], 7);
  let reached = Infinity;
  const r = await minimizeLbfgs(objective, new Float64Array(n), { memory: n, gradientTolerance: 1e-12, changeTolerance: 0, maxIterations: 3 * n }, {
    onIteration: ({ iteration, x }) => { if (reached === Infinity && maxDiff(x, xStar) < 1e-6) reached = iteration; },
  });
  assert.ok(reached <= 3 * n, `error ${maxDiff(r.x, xStar)} after ${r.iterations}`);
  for (let i = 1; i < r.history.length; i++) assert.ok(r.history[i]! < r.history[i - 1]!, `f rose at iteration ${i}`);
  console.log(`  default search: within 1e-6 after ${reached} iterations`);
});

test('Rosenbrock from (-1.2, 1) converges to (1, 1)', async () => {
  const objective: Objective = (x) => {
    const [a, b] = [x[0]!, x[1]!];
    return { f: (1 - a) ** 2 + 100 * (b - a * a) ** 2, g: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)) };
  };
  const r = await minimizeLbfgs(objective, Float64Array.of(-1.2, 1), { maxIterations: 200, gradientTolerance: 1e-8 });
  assert.ok(Math.abs(r.x[0]! - 1) < 1e-5 && Math.abs(r.x[1]! - 1) < 1e-5, `ended at ${Array.from(r.x)} after ${r.iterations}`);
  assert.ok(r.iterations < 100, `took ${r.iterations}`);
});

test('fixed-step rule (no line search) also converges on a well-conditioned quadratic', async () => {
  const { xStar, objective } = quadratic(5, [1, 1.2, 1.5, 1.8, 2], 11);
  const r = await minimizeLbfgs(objective, new Float64Array(5), { lineSearch: 'none', maxIterations: 60, gradientTolerance: 1e-9, changeTolerance: 0 });
  assert.ok(maxDiff(r.x, xStar) < 1e-6, `error ${maxDiff(r.x, xStar)}`);
});

test('Adam reaches the minimiser of a quadratic; projection keeps x in the box', async () => {
  const { xStar, objective } = quadratic(4, [1, 2, 3, 4], 5);
  const r = await minimizeAdam(objective, new Float64Array(4), { maxIterations: 3000, lr: 0.01 });
  assert.ok(maxDiff(r.x, xStar) < 1e-3, `error ${maxDiff(r.x, xStar)}`);
  const boxed = await minimizeAdam(objective, new Float64Array(4), { maxIterations: 50, project: (x) => x.forEach((v, i) => { x[i] = Math.min(0.1, Math.max(-0.1, v)); }) });
  assert.ok(boxed.x.every((v) => Math.abs(v) <= 0.1));
});

test('option validation names the option', () => {
  assert.throws(() => resolveLbfgsOptions({ memory: 0 }), /options\.memory must be a positive integer \(received 0\)/);
  assert.throws(() => resolveLbfgsOptions({ c1: 0.5, c2: 0.4 }), /0 < c1 < c2 < 1/);
  assert.throws(() => resolveLbfgsOptions({ lineSearch: 'armijo' as never }), /options\.lineSearch must be one of strong-wolfe, none/);
});

test.run();
