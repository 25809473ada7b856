// Generic-loop kernels: any d and k, read at run time. The same parameter and output layouts
// as the unrolled kernels that scripts/kernels/generate.mjs writes (see the comments there);
// the row pair is first copied to `xb` in scratch so the loops can index it.

import { splat, sq, vadd, vsub, vmul, acc, flush, vexp, vlog, vlog1p, vlog1pu, cst, C_ONE, C_NEG_HALF, C_LANE0, C_NEG_INF, C_INF } from "./common";

@inline function loadPair(data: usize, cs: usize, i: i32, d: i32, xb: usize): void {
  let p = data + (<usize>i << 3);
  for (let j = 0; j < d; j++) {
    v128.store(xb + (<usize>j << 4), v128.load(p));
    p += cs;
  }
}

@inline function weights(w: usize, i: i32, end: i32): v128 {
  let wv = cst(C_ONE);
  if (w != 0) wv = v128.load(w + (<usize>i << 3));
  if (i + 1 >= end) wv = v128.and(wv, cst(C_LANE0));
  return wv;
}

@inline function xat(xb: usize, j: i32): v128 {
  return v128.load(xb + (<usize>j << 4));
}

export function gmm_generic(data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32): void {
  const cs: usize = <usize>stride << 3;
  const T = (d * (d + 1)) >> 1;
  const Q = 1 + d + T;
  const nacc = k * Q + 1;
  memory.fill(scratch, 0, <usize>nacc << 4);
  const lbuf = scratch + (<usize>nacc << 4);
  const xb = lbuf + (<usize>k << 4);
  let ll = f64x2(0.0, 0.0);
  for (let i = start; i < end; i += 2) {
    loadPair(data, cs, i, d, xb);
    const wv = weights(w, i, end);
    let mx = cst(C_NEG_INF);
    for (let c = 0; c < k; c++) {
      const q = params + (<usize>(c * Q) << 4);
      let a = q + (<usize>(1 + d) << 4);
      let s = f64x2(0.0, 0.0);
      for (let r = 0; r < d; r++) {
        let t = f64x2(0.0, 0.0);
        for (let j = 0; j <= r; j++) {
          t = vadd(t, vmul(v128.load(a), xat(xb, j)));
          a += 16;
        }
        s = vadd(s, sq(vsub(t, v128.load(q + (<usize>(1 + r) << 4)))));
      }
      const l = vadd(v128.load(q), vmul(cst(C_NEG_HALF), s));
      v128.store(lbuf + (<usize>c << 4), l);
      mx = f64x2.pmax(mx, l);
    }
    let s = f64x2(0.0, 0.0);
    for (let c = 0; c < k; c++) {
      const o = lbuf + (<usize>c << 4);
      const ex = vexp(vsub(v128.load(o), mx));
      v128.store(o, ex);
      s = vadd(s, ex);
    }
    ll = vadd(ll, vmul(wv, vadd(mx, vlog(s))));
    const f = f64x2.div(wv, s);
    for (let c = 0; c < k; c++) {
      const r = vmul(v128.load(lbuf + (<usize>c << 4)), f);
      const a = scratch + (<usize>(c * Q) << 4);
      acc(a, 0, r);
      let t = a + (<usize>(1 + d) << 4);
      for (let ii = 0; ii < d; ii++) {
        const rx = vmul(r, xat(xb, ii));
        acc(a, <usize>(1 + ii) << 4, rx);
        for (let j = 0; j <= ii; j++) {
          acc(t, 0, vmul(rx, xat(xb, j)));
          t += 16;
        }
      }
    }
  }
  v128.store(scratch + (<usize>(nacc - 1) << 4), ll);
  flush(scratch, out, nacc);
}

// Hard assignment of a Gaussian mixture: per component, the number of rows whose largest
// log w_k N_k(x) it has (the first one on ties); weights are ignored. The same parameters as
// gmm_generic; output: k counts.
export function gmm_hard_generic(data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32): void {
  const cs: usize = <usize>stride << 3;
  const T = (d * (d + 1)) >> 1;
  const Q = 1 + d + T;
  const xb = scratch;
  for (let i = start; i < end; i += 2) {
    loadPair(data, cs, i, d, xb);
    let best = cst(C_NEG_INF);
    let bi = f64x2(0.0, 0.0);
    for (let c = 0; c < k; c++) {
      const q = params + (<usize>(c * Q) << 4);
      let a = q + (<usize>(1 + d) << 4);
      let s = f64x2(0.0, 0.0);
      for (let r = 0; r < d; r++) {
        let t = f64x2(0.0, 0.0);
        for (let j = 0; j <= r; j++) {
          t = vadd(t, vmul(v128.load(a), xat(xb, j)));
          a += 16;
        }
        s = vadd(s, sq(vsub(t, v128.load(q + (<usize>(1 + r) << 4)))));
      }
      const l = vadd(v128.load(q), vmul(cst(C_NEG_HALF), s));
      const gt = f64x2.gt(l, best);
      best = v128.bitselect(l, best, gt);
      bi = v128.bitselect(splat(<f64>c), bi, gt);
    }
    const o0 = out + (<usize>(<i32>f64x2.extract_lane(bi, 0)) << 3);
    store<f64>(o0, load<f64>(o0) + 1.0);
    if (i + 1 < end) {
      const o1 = out + (<usize>(<i32>f64x2.extract_lane(bi, 1)) << 3);
      store<f64>(o1, load<f64>(o1) + 1.0);
    }
  }
}

export function kmeans_generic(data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32): void {
  const cs: usize = <usize>stride << 3;
  const xb = scratch;
  let cost = f64x2(0.0, 0.0);
  for (let i = start; i < end; i += 2) {
    loadPair(data, cs, i, d, xb);
    const wv = weights(w, i, end);
    let best = cst(C_INF);
    let bi = f64x2(0.0, 0.0);
    for (let c = 0; c < k; c++) {
      const q = params + (<usize>(c * d) << 4);
      let dist = f64x2(0.0, 0.0);
      for (let j = 0; j < d; j++) dist = vadd(dist, sq(vsub(xat(xb, j), v128.load(q + (<usize>j << 4)))));
      const lt = f64x2.lt(dist, best);
      best = v128.bitselect(dist, best, lt);
      bi = v128.bitselect(splat(<f64>c), bi, lt);
    }
    cost = vadd(cost, vmul(wv, best));
    for (let ln = 0; ln < 2; ln++) {
      const c = <i32>(ln == 0 ? f64x2.extract_lane(bi, 0) : f64x2.extract_lane(bi, 1));
      const wl = ln == 0 ? f64x2.extract_lane(wv, 0) : f64x2.extract_lane(wv, 1);
      const o = out + (<usize>(c * (d + 1)) << 3);
      store<f64>(o, load<f64>(o) + wl);
      for (let j = 0; j < d; j++) {
        const xj = load<f64>(xb + (<usize>j << 4) + (<usize>ln << 3));
        const oj = o + (<usize>(j + 1) << 3);
        store<f64>(oj, load<f64>(oj) + wl * xj);
      }
    }
  }
  const o = out + (<usize>(k * (d + 1)) << 3);
  store<f64>(o, load<f64>(o) + (f64x2.extract_lane(cost, 0) + f64x2.extract_lane(cost, 1)));
}

export function logistic_generic(data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32): void {
  const cs: usize = <usize>stride << 3;
  const nacc = d + 3;
  memory.fill(scratch, 0, <usize>nacc << 4);
  const xb = scratch + (<usize>nacc << 4);
  const b0 = v128.load(params + (<usize>d << 4));
  const one = cst(C_ONE);
  for (let i = start; i < end; i += 2) {
    loadPair(data, cs, i, d, xb);
    const wv = weights(w, i, end);
    const yl = v128.load(y + (<usize>i << 3));
    let m = b0;
    for (let j = 0; j < d; j++) m = vadd(m, vmul(v128.load(params + (<usize>j << 4)), xat(xb, j)));
    const ex = vexp(f64x2.neg(f64x2.abs(m)));
    const u = vadd(one, ex);
    const inv = f64x2.div(one, u);
    const sp = vadd(f64x2.pmax(f64x2(0.0, 0.0), m), vlog1pu(ex, u, inv));
    acc(scratch, 0, vmul(wv, vsub(sp, vmul(yl, m))));
    const sig = vmul(v128.bitselect(one, ex, f64x2.ge(m, f64x2(0.0, 0.0))), inv);
    const g = vmul(wv, vsub(sig, yl));
    for (let j = 0; j < d; j++) acc(scratch, <usize>(1 + j) << 4, vmul(g, xat(xb, j)));
    acc(scratch, <usize>(1 + d) << 4, g);
    acc(scratch, <usize>(2 + d) << 4, wv);
  }
  flush(scratch, out, nacc);
}

// Residual sums of a linear model at (beta, b0); labels in y. Output: sum w, sum w y, sum w y^2,
// sum w e^2, sum w |e|, sum w p, sum w p^2, with p = b0 + beta . x and e = y - p.
export function linmetrics_generic(data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32): void {
  const cs: usize = <usize>stride << 3;
  const nacc = 7;
  memory.fill(scratch, 0, <usize>nacc << 4);
  const xb = scratch + (<usize>nacc << 4);
  const b0 = v128.load(params + (<usize>d << 4));
  for (let i = start; i < end; i += 2) {
    loadPair(data, cs, i, d, xb);
    const wv = weights(w, i, end);
    const yl = v128.load(y + (<usize>i << 3));
    let p = b0;
    for (let j = 0; j < d; j++) p = vadd(p, vmul(v128.load(params + (<usize>j << 4)), xat(xb, j)));
    const e = vsub(yl, p);
    const wy = vmul(wv, yl);
    const we = vmul(wv, e);
    const wp = vmul(wv, p);
    acc(scratch, 0, wv);
    acc(scratch, 16, wy);
    acc(scratch, 32, vmul(wy, yl));
    acc(scratch, 48, vmul(we, e));
    acc(scratch, 64, f64x2.abs(we));
    acc(scratch, 80, wp);
    acc(scratch, 96, vmul(wp, p));
  }
  flush(scratch, out, nacc);
}

export function multinomial_generic(data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32): void {
  const cs: usize = <usize>stride << 3;
  const nacc = k * (d + 1) + 2;
  memory.fill(scratch, 0, <usize>nacc << 4);
  const mbuf = scratch + (<usize>nacc << 4);
  const xb = mbuf + (<usize>k << 4);
  const gi = scratch + 16 + (<usize>(k * d) << 4);
  const gp = params + (<usize>(k * d) << 4);
  for (let i = start; i < end; i += 2) {
    loadPair(data, cs, i, d, xb);
    const wv = weights(w, i, end);
    const yl = v128.load(y + (<usize>i << 3));
    let mx = cst(C_NEG_INF);
    let my = f64x2(0.0, 0.0);
    for (let c = 0; c < k; c++) {
      const q = params + (<usize>(c * d) << 4);
      let m = v128.load(gp + (<usize>c << 4));
      for (let j = 0; j < d; j++) m = vadd(m, vmul(v128.load(q + (<usize>j << 4)), xat(xb, j)));
      v128.store(mbuf + (<usize>c << 4), m);
      mx = f64x2.pmax(mx, m);
      my = v128.bitselect(m, my, f64x2.eq(yl, splat(<f64>c)));
    }
    let s = f64x2(0.0, 0.0);
    for (let c = 0; c < k; c++) {
      const o = mbuf + (<usize>c << 4);
      const ex = vexp(vsub(v128.load(o), mx));
      v128.store(o, ex);
      s = vadd(s, ex);
    }
    acc(scratch, 0, vmul(wv, vsub(vadd(mx, vlog(s)), my)));
    const f = f64x2.div(wv, s);
    for (let c = 0; c < k; c++) {
      const ind = v128.and(f64x2.eq(yl, splat(<f64>c)), wv);
      const g = vsub(vmul(v128.load(mbuf + (<usize>c << 4)), f), ind);
      const a = scratch + 16 + (<usize>(c * d) << 4);
      for (let j = 0; j < d; j++) acc(a, <usize>j << 4, vmul(g, xat(xb, j)));
      acc(gi, <usize>c << 4, g);
    }
    acc(scratch, <usize>(nacc - 1) << 4, wv);
  }
  flush(scratch, out, nacc);
}

export function gram_generic(data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32): void {
  const cs: usize = <usize>stride << 3;
  const T = (d * (d + 1)) >> 1;
  const n = 1 + d + T + d + 2;
  memory.fill(scratch, 0, <usize>n << 4);
  const xb = scratch + (<usize>n << 4);
  const xy = scratch + (<usize>(1 + d + T) << 4);
  for (let i = start; i < end; i += 2) {
    loadPair(data, cs, i, d, xb);
    const wv = weights(w, i, end);
    const yl = y != 0 ? v128.load(y + (<usize>i << 3)) : f64x2(0.0, 0.0);
    const wy = vmul(wv, yl);
    acc(scratch, 0, wv);
    let t = scratch + (<usize>(1 + d) << 4);
    for (let ii = 0; ii < d; ii++) {
      const wx = vmul(wv, xat(xb, ii));
      acc(scratch, <usize>(1 + ii) << 4, wx);
      acc(xy, <usize>ii << 4, vmul(wy, xat(xb, ii)));
      for (let j = 0; j <= ii; j++) {
        acc(t, 0, vmul(wx, xat(xb, j)));
        t += 16;
      }
    }
    acc(xy, <usize>d << 4, wy);
    acc(xy, <usize>(d + 1) << 4, vmul(wy, yl));
  }
  flush(scratch, out, n);
}

// Lane-wise vexp/vlog/vlog1p over n (even) doubles, so tests can check them against Math.*.
export function math_exp(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 2) v128.store(dst + (<usize>i << 3), vexp(v128.load(src + (<usize>i << 3))));
}

export function math_log(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 2) v128.store(dst + (<usize>i << 3), vlog(v128.load(src + (<usize>i << 3))));
}

export function math_log1p(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 2) v128.store(dst + (<usize>i << 3), vlog1p(v128.load(src + (<usize>i << 3))));
}
