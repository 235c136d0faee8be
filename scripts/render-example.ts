/**
 * @file Renders examples/example.png: a synthetic "photo" of a lake landscape
 * (sky gradient, sun, value-noise clouds, hazy mountains, hills, a shoreline
 * with trees and houses, reflections with ripples, a grassy foreground, mild
 * grain), entirely procedural, so the repository ships an example image
 * without any external data. Deterministic: the same file every run.
 *
 *   node --import tsx scripts/render-example.ts [out.png] [width] [height]
 */
import * as tf from '@tensorflow/tfjs-core';
import { writeImage } from '../src/data/image-io.js';
import { selectBackend } from '../src/runtime/index.js';

type Rgb = [number, number, number];

const out = process.argv[2] ?? new URL('../examples/example.png', import.meta.url).pathname;
const W = Number(process.argv[3] ?? 512);
const H = Number(process.argv[4] ?? 384);
const S = W / 512; // scale factor, so other sizes keep the composition

// ---- noise -----------------------------------------------------------------

function hash2(x: number, y: number, seed: number): number {
  let h = (x * 374761393 + y * 668265263 + seed * 2147483647) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

const smooth = (t: number) => t * t * (3 - 2 * t);

function valueNoise(x: number, y: number, seed: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const tx = smooth(x - xi);
  const ty = smooth(y - yi);
  const a = hash2(xi, yi, seed);
  const b = hash2(xi + 1, yi, seed);
  const c = hash2(xi, yi + 1, seed);
  const d = hash2(xi + 1, yi + 1, seed);
  return a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty;
}

function fbm(x: number, y: number, seed: number, octaves = 5): number {
  let sum = 0;
  let amplitude = 0.5;
  let norm = 0;
  for (let o = 0; o < octaves; o += 1) {
    sum += amplitude * valueNoise(x, y, seed + o * 17);
    norm += amplitude;
    x *= 2.03;
    y *= 2.03;
    amplitude *= 0.5;
  }
  return sum / norm;
}

// ---- helpers ---------------------------------------------------------------

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
const smoothstep = (e0: number, e1: number, v: number) => smooth(clamp01((v - e0) / (e1 - e0)));

const image = new Float32Array(W * H * 3);
const get = (x: number, y: number): Rgb => {
  const i = (Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))) * 3;
  return [image[i]!, image[i + 1]!, image[i + 2]!];
};
const set = (x: number, y: number, c: Rgb) => {
  const i = (y * W + x) * 3;
  image[i] = c[0];
  image[i + 1] = c[1];
  image[i + 2] = c[2];
};
const blend = (x: number, y: number, c: Rgb, alpha: number) => {
  if (x < 0 || y < 0 || x >= W || y >= H || alpha <= 0) return;
  set(x, y, mix(get(x, y), c, clamp01(alpha)));
};

// ---- layout ----------------------------------------------------------------

const waterline = Math.round(H * 0.64);
const sun = { x: W * 0.7, y: H * 0.3, r: 15 * S };
const sunColour: Rgb = [1.0, 0.93, 0.75];
const haze: Rgb = [0.86, 0.78, 0.72];

/** Ridged noise: sharp crests where plain noise crosses 0.5. */
function ridged(x: number, seed: number): number {
  let sum = 0;
  let amplitude = 0.6;
  for (let o = 0; o < 5; o += 1) {
    sum += amplitude * (1 - Math.abs(2 * valueNoise(x, 0.5, seed + o) - 1)) ** 2;
    x *= 2.2;
    amplitude *= 0.38;
  }
  return sum;
}
function farRidge(x: number): number {
  return H * 0.5 - H * 0.26 * ridged(x / (170 * S), 11) + H * 0.02 * Math.sin(x / (90 * S));
}
function nearRidge(x: number): number {
  return H * 0.56 - H * 0.11 * fbm(x / (110 * S), 3.5, 23, 4) - H * 0.04 * Math.exp(-(((x - W * 0.2) / (80 * S)) ** 2));
}

// ---- sky, sun, clouds ------------------------------------------------------

for (let y = 0; y < waterline; y += 1) {
  const t = y / waterline;
  for (let x = 0; x < W; x += 1) {
    let c = mix([0.2, 0.38, 0.72], [0.62, 0.74, 0.88], smoothstep(0, 0.7, t));
    c = mix(c, [0.98, 0.84, 0.68], smoothstep(0.55, 1, t));
    const d = Math.hypot(x - sun.x, (y - sun.y) * 1.1);
    const glow = 0.55 * Math.exp(-d / (55 * S)) + 0.25 * Math.exp(-d / (180 * S));
    c = mix(c, sunColour, clamp01(glow));
    if (d < sun.r) c = mix(c, [1, 0.98, 0.92], smoothstep(sun.r, sun.r - 1.5, d));
    // Clouds: stretched fbm, thresholded, denser high up, lit from the sun's side.
    const n = fbm(x / (120 * S), y / (38 * S), 5, 6);
    const density = smoothstep(0.5, 0.72, n) * (1 - smoothstep(0.35, 0.8, t));
    if (density > 0) {
      const shade = fbm((x + 6 * S) / (120 * S), (y + 5 * S) / (38 * S), 5, 6);
      const lit = clamp01(0.75 + (n - shade) * 6 + 0.3 * Math.exp(-d / (120 * S)));
      const cloud = mix([0.6, 0.62, 0.7], [1, 0.96, 0.92], lit);
      c = mix(c, cloud, density * 0.9);
    }
    set(x, y, c);
  }
}

// ---- mountains and hills ---------------------------------------------------

for (let x = 0; x < W; x += 1) {
  const far = farRidge(x);
  const near = nearRidge(x);
  for (let y = Math.floor(far); y < waterline; y += 1) {
    const depth = (y - far) / (waterline - far);
    const rock = fbm(x / (16 * S), y / (12 * S), 31, 4);
    // Faces turned towards the sun (on the right) are lit, the others in shade; the
    // ridge's slope fades out with depth below the crest.
    const slope = (farRidge(x - 6 * S) - farRidge(x + 6 * S)) / (12 * S);
    const lit = clamp01(0.5 - 0.7 * slope * Math.exp(-(y - far) / (40 * S)) + (rock - 0.5) * 0.9);
    let c = mix([0.3, 0.34, 0.46], [0.58, 0.6, 0.68], lit);
    // Snow down from the highest peaks, patchy.
    const snowLine = H * 0.33 + H * 0.04 * (fbm(x / (20 * S), 7, 37, 3) - 0.5);
    if (y < snowLine && rock > 0.4) c = mix(c, mix([0.72, 0.76, 0.86], [1, 0.98, 0.96], lit), 0.9);
    c = mix(c, haze, 0.4 - 0.1 * depth); // atmospheric perspective
    blend(x, y, c, smoothstep(far, far + 1, y + 0.5));
  }
  for (let y = Math.floor(near); y < waterline; y += 1) {
    const depth = (y - near) / (waterline - near);
    const grass = fbm(x / (9 * S), y / (6 * S), 41, 4);
    let c = mix([0.2, 0.36, 0.18], [0.36, 0.48, 0.2], grass);
    // Patches of forest: dark, speckled.
    const forest = smoothstep(0.5, 0.56, fbm(x / (45 * S), y / (14 * S), 47, 4));
    c = mix(c, mix([0.06, 0.14, 0.08], [0.14, 0.26, 0.12], hash2(x >> 1, y >> 1, 5)), forest * 0.9);
    c = mix(c, [0.13, 0.24, 0.13], depth * 0.6);
    c = mix(c, haze, 0.18);
    blend(x, y, c, smoothstep(near, near + 1, y + 0.5));
  }
}

// ---- trees and houses on the far shore --------------------------------------

function conifer(cx: number, base: number, height: number, colour: Rgb): void {
  const halfWidth = height * 0.28;
  for (let y = Math.floor(base - height); y <= base; y += 1) {
    const t = (y - (base - height)) / height; // 0 at the tip, 1 at the base
    // Three stacked tiers give the silhouette a ragged edge.
    const tier = (t * 3) % 1;
    const w = halfWidth * (0.35 + 0.65 * t) * (0.75 + 0.25 * tier);
    for (let x = Math.floor(cx - w - 1); x <= cx + w + 1; x += 1) {
      const edge = clamp01(w - Math.abs(x - cx) + 0.5);
      const light = 0.85 + 0.3 * (x < cx ? 0 : 1) * hash2(x, y, 3);
      blend(x, y, [colour[0] * light, colour[1] * light, colour[2] * light], edge);
    }
  }
  for (let y = Math.floor(base); y < base + height * 0.08; y += 1) blend(Math.round(cx), y, [0.2, 0.13, 0.08], 1);
}

function house(x0: number, base: number, w: number, h: number, wall: Rgb, roof: Rgb): void {
  for (let y = Math.floor(base - h); y < base; y += 1) {
    for (let x = Math.floor(x0); x < x0 + w; x += 1) {
      const isWindow = (x - x0) % Math.max(4, Math.round(w / 3)) > 1 && (x - x0) % Math.max(4, Math.round(w / 3)) < 4 && y > base - h * 0.75 && y < base - h * 0.4;
      blend(x, y, isWindow ? [0.95, 0.85, 0.5] : x > x0 + w * 0.6 ? mix(wall, [0, 0, 0], 0.2) : wall, 1);
    }
  }
  const roofHeight = h * 0.7;
  for (let y = Math.floor(base - h - roofHeight); y < base - h; y += 1) {
    const t = (y - (base - h - roofHeight)) / roofHeight;
    const half = (w / 2 + 2) * t;
    for (let x = Math.floor(x0 + w / 2 - half); x < x0 + w / 2 + half; x += 1) blend(x, y, x > x0 + w / 2 ? mix(roof, [0, 0, 0], 0.25) : roof, 1);
  }
}

house(W * 0.47, waterline - 2 * S, 22 * S, 13 * S, [0.92, 0.88, 0.8], [0.62, 0.2, 0.14]);
house(W * 0.53, waterline - 1 * S, 16 * S, 10 * S, [0.85, 0.75, 0.55], [0.35, 0.22, 0.18]);
for (let i = 0; i < 34; i += 1) {
  const cx = W * (0.05 + 0.9 * hash2(i, 1, 77));
  if (cx > W * 0.45 && cx < W * 0.6) continue; // leave the village clear
  const height = (18 + 26 * hash2(i, 2, 77)) * S;
  const tone = 0.7 + 0.3 * hash2(i, 3, 77);
  conifer(cx, waterline - 1 - 2 * hash2(i, 4, 77) * S, height, [0.1 * tone, 0.24 * tone, 0.14 * tone]);
}

// ---- lake: reflections with ripples -----------------------------------------

for (let y = waterline; y < H; y += 1) {
  const t = (y - waterline) / (H - waterline);
  for (let x = 0; x < W; x += 1) {
    // Ripples grow towards the viewer; horizontal displacement from stretched noise.
    const ripple = (fbm(x / (60 * S), y / (2.2 * S) + 100, 61, 3) - 0.5) * (3 + 14 * t) * S;
    const mirrorY = Math.round(2 * waterline - y - 1 + ripple * 0.3);
    let c = get(Math.round(x + ripple), Math.max(0, mirrorY));
    c = mix(c, [0.1, 0.2, 0.3], 0.25 + 0.35 * t); // water absorbs more looking down (Fresnel)
    // Glitter under the sun.
    const glitter = Math.exp(-(((x - sun.x) / ((22 + 60 * t) * S)) ** 2)) * smoothstep(0.62, 0.8, fbm(x / (4 * S), y / (1.2 * S), 71, 2));
    c = mix(c, [1, 0.95, 0.8], glitter * 0.8);
    // A thin bright line where the water meets the shore.
    if (y - waterline < 1.5 * S) c = mix(c, [0.8, 0.8, 0.8], 0.35);
    set(x, y, c);
  }
}

// ---- foreground bank, lower left --------------------------------------------

for (let x = 0; x < W; x += 1) {
  const edge = H * 0.8 + (x / W) * H * 0.55 + 10 * S * (fbm(x / (30 * S), 9, 81, 3) - 0.5);
  for (let y = Math.floor(edge); y < H; y += 1) {
    const n = fbm(x / (3 * S), y / (9 * S), 91, 3);
    let c = mix([0.22, 0.32, 0.1], [0.45, 0.52, 0.2], n);
    c = mix(c, [0.1, 0.15, 0.06], smoothstep(edge, H, y) * 0.5);
    blend(x, y, c, smoothstep(edge, edge + 1.5, y + 0.5));
  }
}
// Grass blades along the bank's edge.
for (let i = 0; i < 900; i += 1) {
  const x = hash2(i, 5, 99) * W * 0.7;
  const edge = H * 0.8 + (x / W) * H * 0.55 + 10 * S * (fbm(x / (30 * S), 9, 81, 3) - 0.5);
  const length = (4 + 10 * hash2(i, 6, 99)) * S;
  const lean = (hash2(i, 7, 99) - 0.5) * 0.8;
  const tone = 0.6 + 0.5 * hash2(i, 8, 99);
  for (let s = 0; s < length; s += 0.5) {
    blend(Math.round(x + lean * s), Math.round(edge + 3 * S - s), [0.25 * tone, 0.38 * tone, 0.12 * tone], 0.9 * (1 - s / length) + 0.1);
  }
}

// ---- camera: vignette and grain ---------------------------------------------

for (let y = 0; y < H; y += 1) {
  for (let x = 0; x < W; x += 1) {
    const r = Math.hypot((x - W / 2) / (W / 2), (y - H / 2) / (H / 2));
    const vignette = 1 - 0.18 * smoothstep(0.6, 1.45, r);
    const grain = (hash2(x, y, 123) + hash2(x, y, 321) - 1) * 0.012;
    const c = get(x, y);
    set(x, y, [clamp01(c[0] * vignette + grain), clamp01(c[1] * vignette + grain), clamp01(c[2] * vignette + grain)]);
  }
}

await selectBackend({ backend: 'cpu' });
const tensor = tf.tensor4d(image, [1, H, W, 3]);
await writeImage(out, tensor);
tensor.dispose();
console.log(`wrote ${out} (${W}x${H})`);
