/**
 * @file Dense vector arithmetic on host arrays for the optimisers. The
 * optimisers keep their state (iterate, gradient, L-BFGS history, Adam
 * moments) on the host in float64 so that the same code runs under every
 * tfjs backend and the maths is exact enough for the convergence tests.
 */

/** A vector the optimisers read. */
export type Vector = Float64Array;

/** x . y */
export function dot(x: Vector, y: Vector): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * y[i]!;
  return sum;
}

/** y += a x, in place. */
export function axpy(a: number, x: Vector, y: Vector): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}

/** max_i |x_i| */
export function maxAbs(x: Vector): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]!);
    if (v > max || Number.isNaN(v)) max = v;
  }
  return max;
}

/** sum_i |x_i| */
export function sumAbs(x: Vector): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]!);
  return sum;
}
