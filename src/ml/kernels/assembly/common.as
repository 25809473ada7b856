// Shared AssemblyScript helpers for the ML kernels: vectorized exp/log over f64x2 lanes and
// small arithmetic aliases used by the generated kernels.
//
// The files in this folder use the `.as` extension so that tsc and eslint leave them alone;
// scripts/kernels/build.mjs feeds them to the AssemblyScript compiler under a `.ts` name.
//
// Accuracy (checked against Math.exp/Math.log/Math.log1p by test/ml/kernels.test.ts; measured
// maxima over 200k random inputs in brackets):
// - vexp: Cody-Waite range reduction to |r| <= ln2/2 and a degree-13 Taylor polynomial
//   (truncation below 5e-18) evaluated by Estrin's scheme [4.3e-16 relative, ~2 ulp]. Inputs
//   below -708.39 return exactly 0, which keeps every result a normal number and makes a
//   far-away component contribute nothing.
// - vlog: exponent split, mantissa in [sqrt(1/2), sqrt(2)), atanh series to z^10 (truncation
//   below 3e-17) [6.5e-16, ~3 ulp] for positive normal inputs; vlog1p [7.6e-16].

// 2^52 + 2^51: adding it to |v| < 2^51 rounds v to an integer held in the low mantissa bits.
const MAGIC: f64 = 6755399441055744.0;
const MAGIC_BITS: i64 = 0x4338000000000000;

// Vector constants live in a table in memory (written once by init_constants) rather than in
// the code: V8 rebuilds a v128.const with three instructions at every use inside a loop, two
// of them on the floating-point pipes the kernels saturate; a load from the table is one.
// The table sits at a fixed address in page 0, which the JS side keeps free for it.
const CONSTANTS: usize = 1024;

export const C_ONE = 0;
export const C_NEG_HALF = 1;
export const C_LANE0 = 2;
export const C_NEG_INF = 3;
export const C_INF = 4;
export const C_EXP_LO = 5;
export const C_EXP_HI = 6;
export const C_MAGIC = 7;
export const C_LOG2E = 8;
export const C_LN2_HI = 9;
export const C_LN2_LO = 10;
export const C_EXP_POLY = 11; // 12 entries: 1/13!, 1/12!, ..., 1/2!
export const C_EXP_BIAS = 23;
export const C_MANTISSA = 24;
export const C_SQRT2 = 25;
export const C_HALF = 26;
export const C_INT_ONE = 27;
export const C_MAGIC_1023 = 28;
export const C_MAGIC_BITS = 29;
export const C_LOG_POLY = 30; // 10 entries: 1/21, 1/19, ..., 1/3
const C_COUNT = 40;

/** Reads entry i of the constant table. */
@inline export function cst(i: i32): v128 {
  return v128.load(CONSTANTS + (<usize>i << 4));
}

@inline function put(i: i32, v: v128): void {
  v128.store(CONSTANTS + (<usize>i << 4), v);
}

/** Fills the constant table; call once per memory before any kernel runs. Returns its end. */
export function init_constants(): usize {
  put(C_ONE, f64x2(1.0, 1.0));
  put(C_NEG_HALF, f64x2(-0.5, -0.5));
  put(C_LANE0, i64x2(-1, 0));
  put(C_NEG_INF, f64x2(-Infinity, -Infinity));
  put(C_INF, f64x2(Infinity, Infinity));
  put(C_EXP_LO, f64x2(-708.3964185322641, -708.3964185322641));
  put(C_EXP_HI, f64x2(709.782712893384, 709.782712893384));
  put(C_MAGIC, f64x2(MAGIC, MAGIC));
  put(C_LOG2E, f64x2(1.4426950408889634, 1.4426950408889634));
  put(C_LN2_HI, f64x2(0.6931471803691238, 0.6931471803691238));
  put(C_LN2_LO, f64x2(1.9082149292705877e-10, 1.9082149292705877e-10));
  // Taylor coefficients 1/n!, n = 13..2, computed exactly as the nearest doubles.
  let f: f64 = 1.0;
  for (let n = 2; n <= 13; n++) f *= <f64>n;
  for (let n = 13; n >= 2; n--) {
    const c = 1.0 / f;
    put(C_EXP_POLY + 13 - n, f64x2(c, c));
    f /= <f64>n;
  }
  put(C_EXP_BIAS, i64x2(1023 - MAGIC_BITS, 1023 - MAGIC_BITS));
  put(C_MANTISSA, i64x2(0x000fffffffffffff, 0x000fffffffffffff));
  put(C_SQRT2, f64x2(1.4142135623730951, 1.4142135623730951));
  put(C_HALF, f64x2(0.5, 0.5));
  put(C_INT_ONE, i64x2(1, 1));
  put(C_MAGIC_1023, f64x2(MAGIC + 1023.0, MAGIC + 1023.0));
  put(C_MAGIC_BITS, i64x2(MAGIC_BITS, MAGIC_BITS));
  for (let n = 10; n >= 1; n--) {
    const c = 1.0 / <f64>(2 * n + 1);
    put(C_LOG_POLY + 10 - n, f64x2(c, c));
  }
  return CONSTANTS + (<usize>C_COUNT << 4);
}

@inline export function splat(v: f64): v128 {
  return f64x2(v, v);
}

@inline export function vadd(a: v128, b: v128): v128 {
  return f64x2.add(a, b);
}

@inline export function vsub(a: v128, b: v128): v128 {
  return f64x2.sub(a, b);
}

@inline export function vmul(a: v128, b: v128): v128 {
  return f64x2.mul(a, b);
}

/** Adds `v` to the f64x2 accumulator at `ptr + off`. */
@inline export function acc(ptr: usize, off: usize, v: v128): void {
  v128.store(ptr + off, f64x2.add(v128.load(ptr + off), v));
}

/** Adds both lanes of each of `n` f64x2 accumulators at `src` into the f64 slots at `dst`. */
export function flush(src: usize, dst: usize, n: i32): void {
  for (let t = 0; t < n; t++) {
    const v = v128.load(src + (<usize>t << 4));
    const o = dst + (<usize>t << 3);
    store<f64>(o, load<f64>(o) + (f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1)));
  }
}

/** Lane-wise e^x. */
@inline export function vexp(x: v128): v128 {
  const lo = cst(C_EXP_LO);
  const xc = f64x2.pmin(cst(C_EXP_HI), f64x2.pmax(lo, x));
  const magic = cst(C_MAGIC);
  const t = f64x2.add(f64x2.mul(xc, cst(C_LOG2E)), magic);
  const n = f64x2.sub(t, magic);
  const r = f64x2.sub(f64x2.sub(xc, f64x2.mul(n, cst(C_LN2_HI))), f64x2.mul(n, cst(C_LN2_LO)));
  // Estrin's scheme: the polynomial's dependency chain is 4 multiply-adds deep instead of the
  // 13 of Horner's, which matters because every kernel waits on exp before its next step.
  const one = cst(C_ONE);
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  const a0 = f64x2.add(one, r);
  const a1 = f64x2.add(cst(C_EXP_POLY + 11), f64x2.mul(cst(C_EXP_POLY + 10), r)); // 1/2! + r/3!
  const a2 = f64x2.add(cst(C_EXP_POLY + 9), f64x2.mul(cst(C_EXP_POLY + 8), r));
  const a3 = f64x2.add(cst(C_EXP_POLY + 7), f64x2.mul(cst(C_EXP_POLY + 6), r));
  const a4 = f64x2.add(cst(C_EXP_POLY + 5), f64x2.mul(cst(C_EXP_POLY + 4), r));
  const a5 = f64x2.add(cst(C_EXP_POLY + 3), f64x2.mul(cst(C_EXP_POLY + 2), r));
  const a6 = f64x2.add(cst(C_EXP_POLY + 1), f64x2.mul(cst(C_EXP_POLY), r)); // 1/12! + r/13!
  const b0 = f64x2.add(a0, f64x2.mul(a1, r2));
  const b1 = f64x2.add(a2, f64x2.mul(a3, r2));
  const b2 = f64x2.add(a4, f64x2.mul(a5, r2));
  const d0 = f64x2.add(b0, f64x2.mul(b1, r4));
  const d1 = f64x2.add(b2, f64x2.mul(a6, r4));
  const p = f64x2.add(d0, f64x2.mul(d1, r8));
  // bits(t) = bits(MAGIC) + n, so this yields (n + 1023) << 52 = 2^n.
  const scale = i64x2.shl(i64x2.add(t, cst(C_EXP_BIAS)), 52);
  return v128.and(f64x2.mul(p, scale), f64x2.ge(x, lo));
}

/**
 * vexp with Horner's scheme: a longer dependency chain but fewer live values, which suits the
 * fully unrolled kernels where several independent exps already overlap.
 */
@inline export function vexpH(x: v128): v128 {
  const lo = cst(C_EXP_LO);
  const xc = f64x2.pmin(cst(C_EXP_HI), f64x2.pmax(lo, x));
  const magic = cst(C_MAGIC);
  const t = f64x2.add(f64x2.mul(xc, cst(C_LOG2E)), magic);
  const n = f64x2.sub(t, magic);
  const r = f64x2.sub(f64x2.sub(xc, f64x2.mul(n, cst(C_LN2_HI))), f64x2.mul(n, cst(C_LN2_LO)));
  let p = f64x2.add(f64x2.mul(cst(C_EXP_POLY), r), cst(C_EXP_POLY + 1));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 2));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 3));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 4));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 5));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 6));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 7));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 8));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 9));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 10));
  p = f64x2.add(f64x2.mul(p, r), cst(C_EXP_POLY + 11));
  const one = cst(C_ONE);
  p = f64x2.add(f64x2.mul(p, r), one);
  p = f64x2.add(f64x2.mul(p, r), one);
  const scale = i64x2.shl(i64x2.add(t, cst(C_EXP_BIAS)), 52);
  return v128.and(f64x2.mul(p, scale), f64x2.ge(x, lo));
}

/** Lane-wise natural log of positive normal numbers. */
@inline export function vlog(v: v128): v128 {
  const one = cst(C_ONE);
  let e = i64x2.shr_u(v, 52);
  let m = v128.or(v128.and(v, cst(C_MANTISSA)), one);
  const big = f64x2.gt(m, cst(C_SQRT2));
  m = v128.bitselect(f64x2.mul(m, cst(C_HALF)), m, big);
  e = i64x2.add(e, v128.and(big, cst(C_INT_ONE)));
  const ef = f64x2.sub(i64x2.add(e, cst(C_MAGIC_BITS)), cst(C_MAGIC_1023));
  const f = f64x2.div(f64x2.sub(m, one), f64x2.add(m, one));
  const z = f64x2.mul(f, f);
  // sum_{n=0}^{10} z^n / (2n + 1) by Estrin's scheme (see vexp).
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const z8 = f64x2.mul(z4, z4);
  const a0 = f64x2.add(one, f64x2.mul(cst(C_LOG_POLY + 9), z)); // 1 + z/3
  const a1 = f64x2.add(cst(C_LOG_POLY + 8), f64x2.mul(cst(C_LOG_POLY + 7), z)); // 1/5 + z/7
  const a2 = f64x2.add(cst(C_LOG_POLY + 6), f64x2.mul(cst(C_LOG_POLY + 5), z));
  const a3 = f64x2.add(cst(C_LOG_POLY + 4), f64x2.mul(cst(C_LOG_POLY + 3), z));
  const a4 = f64x2.add(cst(C_LOG_POLY + 2), f64x2.mul(cst(C_LOG_POLY + 1), z)); // 1/17 + z/19
  const b0 = f64x2.add(a0, f64x2.mul(a1, z2));
  const b1 = f64x2.add(a2, f64x2.mul(a3, z2));
  const b2 = f64x2.add(a4, f64x2.mul(cst(C_LOG_POLY), z2)); // + z^2/21
  const p = f64x2.add(f64x2.add(b0, f64x2.mul(b1, z4)), f64x2.mul(b2, z8));
  const twof = f64x2.add(f, f);
  const lo = f64x2.add(f64x2.mul(ef, cst(C_LN2_LO)), f64x2.mul(twof, p));
  return f64x2.add(f64x2.mul(ef, cst(C_LN2_HI)), lo);
}

/** Lane-wise log(1 + t) for t >= 0, accurate also when t is far below machine epsilon. */
@inline export function vlog1p(t: v128): v128 {
  const one = cst(C_ONE);
  const u = f64x2.add(one, t);
  const um1 = f64x2.sub(u, one);
  // log(u) * t / (u - 1) corrects the rounding of 1 + t; u == 1 means log1p(t) == t.
  const corrected = f64x2.mul(vlog(u), f64x2.div(t, um1));
  return v128.bitselect(t, corrected, f64x2.eq(um1, f64x2(0.0, 0.0)));
}

/**
 * log(1 + t) for t >= 0 given u = 1 + t (rounded) and inv = 1 / u: log(u) plus the first-order
 * correction (t - (u - 1)) / u for the rounding of 1 + t (exact to the last bits; t when u == 1).
 * Kernels that also need 1 / (1 + t) share the division.
 */
@inline export function vlog1pu(t: v128, u: v128, inv: v128): v128 {
  return f64x2.add(vlog(u), f64x2.mul(f64x2.sub(t, f64x2.sub(u, cst(C_ONE))), inv));
}

@inline export function sq(v: v128): v128 {
  return f64x2.mul(v, v);
}
