/**
 * @file A small seedable random number generator whose whole state is one
 * 32-bit integer, so that training checkpoints can save and restore it and a
 * resumed run draws exactly the numbers a straight run would.
 */

/** Serialisable generator state. */
export interface RandomState {
  readonly algorithm: 'mulberry32';
  readonly state: number;
}

/** mulberry32: fast, 2^32 period, good enough for crops, shuffles and init. */
export class Random {
  private state: number;

  constructor(seed: number | RandomState) {
    this.state = typeof seed === 'number' ? seed >>> 0 : seed.state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller; draws two uniforms per call so the state stays one integer). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** A seed for an independent child stream. */
  fork(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  getState(): RandomState {
    return { algorithm: 'mulberry32', state: this.state };
  }
}
