// Generates the AssemblyScript source of the ML kernels that are unrolled over the feature
// dimension d (and, for the Gaussian mixture, also over the number of components k).
//
// Every kernel export has the same signature, so one worker loop drives them all:
//   (data, stride, d, w, y, params, k, scratch, out, start, end) => void
// data:    column j of the features starts at data + j * stride * 8 (f64, column-major);
// stride:  rows per column: a multiple of 8, with at least 2 zero rows past the data (kernels
//          that step four rows at a time read a masked pair beyond `end`);
// w, y:    per-row weight and label columns (0 = none; padding rows carry weight 0);
// params:  kernel parameters, each value stored twice (an f64x2 splat), so one 128-bit load
//          gives both lanes;
// scratch: this worker's scratch area (f64x2 accumulators);
// out:     f64 sums that the kernel adds to (the caller zeroes them per block);
// start, end: rows [start, end), start even. An odd `end` masks the last pair's second lane.
// GMM and logistic kernels step four rows (two pairs) at a time, the others two.
//
// Each f64x2 holds the same feature of two consecutive rows, so no kernel ever shuffles. The
// kernels read the exp/log constants from a table in page 0 (assembly/common.as).

/** asc options for every kernel module; see ../shared/notes/ml-kernels.md for why these. */
export const ASC_OPTIONS = {
  optimizeLevel: 3,
  shrinkLevel: 1,
  noAssert: true,
  runtime: "stub",
  enable: ["simd", "threads"],
  importMemory: true,
  noExportMemory: true,
  sharedMemory: true,
  initialMemory: 1,
  maximumMemory: 65536,
  use: ["abort="],
};

/** Entries of a packed lower triangle; src/ml/kernels/params.ts packs parameters the same way. */
export const tri = (d) => (d * (d + 1)) / 2;

const SIG =
  "data: usize, stride: i32, d: i32, w: usize, y: usize, params: usize, k: i32, scratch: usize, out: usize, start: i32, end: i32";

export const HEADER = `import { splat, sq, vadd, vsub, vmul, acc, flush, vexp, vexpH, vlog, vlog1p, vlog1pu, cst } from "./common";
import { C_ONE, C_NEG_HALF, C_LANE0, C_NEG_INF, C_INF } from "./common";
`;

/** `ptr[off] += v` on an f64x2 accumulator, with the offset as an immediate of load and store. */
function accum(ptr, off, v) {
  return `v128.store(${ptr}, vadd(v128.load(${ptr}, ${off}), ${v}), ${off});`;
}

function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

/** Loads x0..x{d-1} of the row pair at row i; `p` walks the columns. */
function loadRowPair(d) {
  const lines = ["    let p = data + (<usize>i << 3);"];
  for (const j of range(d)) {
    lines.push(`    const x${j} = v128.load(p);${j + 1 < d ? " p += cs;" : ""}`);
  }
  return lines.join("\n");
}

/** The weights of the row pair at row i (0 past `end`), as `wv`, at the given indentation. */
const weightsAt = (indent) => `${indent}let wv = cst(C_ONE);
${indent}if (w != 0) wv = v128.load(w + (<usize>i << 3));
${indent}if (i + 1 >= end) wv = v128.and(wv, cst(C_LANE0));`;

const LOAD_WEIGHTS = weightsAt("    ");

/**
 * init + sum of a_t * b_t over `pairs` ([a, b] expressions) as multiply-adds in two
 * interleaved chains, so the dependency chain is half as long; `init` may be null. `mul` and
 * `add` name the lane-wise operations (f64x2 by default).
 */
function dotSum(pairs, init, mul = "vmul", add = "vadd") {
  const chain = (list, start) =>
    list.reduce((acc, [a, b]) => (acc === null ? `${mul}(${a}, ${b})` : `${add}(${mul}(${a}, ${b}), ${acc})`), start);
  if (pairs.length < 4) return chain(pairs, init) ?? init;
  const even = chain(pairs.filter((_, t) => t % 2 === 0), init);
  const odd = chain(pairs.filter((_, t) => t % 2 === 1), null);
  return `${add}(${even}, ${odd})`;
}

/** Sums the terms pairwise, so long dot products keep short dependency chains. */
function treeSum(terms) {
  if (terms.length === 1) return terms[0];
  const mid = Math.ceil(terms.length / 2);
  return `vadd(${treeSum(terms.slice(0, mid))}, ${treeSum(terms.slice(mid))})`;
}

// ---------------------------------------------------------------------------------------------
// Gaussian mixture E + M statistics.
//
// Parameters per component (P = 1 + d + d(d+1)/2 f64x2 values):
//   [0]            log w_k - d/2 log(2 pi) - 1/2 log det S_k
//   [1 .. d]       b = A mu_k
//   [1 + d ..]     A packed by rows (A_00, A_10, A_11, A_20, ...), A = C^-1 with S_k = C C^T,
// so the Mahalanobis term is ||A x - b||^2 and log N_k(x) + log w_k = [0] - ||A x - b||^2 / 2.
// Output per component (Q = 1 + d + d(d+1)/2): sum r, sum r x (d), sum r x x^T packed by rows;
// then the total log-likelihood sum_i w_i log sum_k w_k N_k(x_i).
// ---------------------------------------------------------------------------------------------

function gmmEStep(d, q, ofs) {
  // y_i = sum_{j <= i} A_ij x_j - b_i, squared and summed as soon as it is known (two partial
  // sums for a shorter chain), so only one y is live at a time; returns the lines and the name
  // of the squared norm.
  const lines = [];
  let a = 1 + d;
  for (const i of range(d)) {
    const terms = [];
    for (const j of range(i + 1)) terms.push(`vmul(v128.load(${q}, ${(ofs + a++) * 16}), x${j})`);
    lines.push(`      const y${i} = vsub(${treeSum(terms)}, v128.load(${q}, ${(ofs + 1 + i) * 16}));`);
    const part = `q${i % 2}`;
    lines.push(i < 2 ? `      let ${part} = vmul(y${i}, y${i});` : `      ${part} = vadd(${part}, vmul(y${i}, y${i}));`);
  }
  return { lines, sq: d > 1 ? "vadd(q0, q1)" : "q0" };
}

/**
 * M-step sums for two row pairs at once: each accumulator is read and written once per four
 * rows instead of once per two, which halves the stores (the kernels' tightest resource: a
 * 128-bit store per cycle). Pair h's x_j sits at xb + (h d + j) 16, its r at `ra`/`rb`.
 */
function gmmMStep2(d, accPtr, base, ra, rb, tile = 4) {
  const X = (h, j) => `v128.load(xb, ${(h * d + j) * 16})`;
  const T = (i, j) => base + 1 + d + tri(i) + j; // packed index of (i, j), j <= i
  const lines = [`      ${accum(accPtr, base * 16, `vadd(${ra}, ${rb})`)}`];
  // Rows of the triangle in tiles: r x_i for a tile stays in registers while each x_j is
  // loaded once per tile (not once per product).
  for (let i0 = 0; i0 < d; i0 += tile) {
    const rows = range(Math.min(tile, d - i0)).map((t) => i0 + t);
    lines.push("      {");
    for (const i of rows) {
      lines.push(`        const rxa${i} = vmul(${ra}, ${X(0, i)}); const rxb${i} = vmul(${rb}, ${X(1, i)});`);
      lines.push(`        ${accum(accPtr, (base + 1 + i) * 16, `vadd(rxa${i}, rxb${i})`)}`);
    }
    for (const j of range(rows[rows.length - 1] + 1)) {
      lines.push(`        { const xa = ${X(0, j)}; const xb_ = ${X(1, j)};`);
      for (const i of rows) if (i >= j) lines.push(`          ${accum(accPtr, T(i, j) * 16, `vadd(vmul(rxa${i}, xa), vmul(rxb${i}, xb_))`)}`);
      lines.push("        }");
    }
    lines.push("      }");
  }
  return lines;
}

/** Loads row pair `ih` into x0..x{d-1} and copies it to xb + h d 16; sets wv. */
function loadPairAt(d) {
  const lines = ["      let p = data + (<usize>ih << 3);"];
  for (const j of range(d)) lines.push(`      const x${j} = v128.load(p);${j + 1 < d ? " p += cs;" : ""} v128.store(xh, x${j}, ${j * 16});`);
  lines.push("      let wv = cst(C_ONE);");
  lines.push("      if (w != 0) wv = v128.load(w + (<usize>ih << 3));");
  lines.push("      if (ih + 1 >= end) wv = v128.and(wv, cst(C_LANE0));");
  return lines.join("\n");
}

/**
 * GMM kernel unrolled over d with the number of components k read at run time; four rows (two
 * pairs) per step. `dummyStore` adds a store per Cholesky row: without it V8 schedules all
 * parameter loads of a component at once and spills them (see ../shared/notes/ml-kernels.md).
 */
export function gmmUnrolled(d, { dummyStore = true } = {}) {
  const Q = 1 + d + tri(d);
  const e = gmmEStep(d, "q", 0);
  if (dummyStore) e.lines = e.lines.flatMap((l) => (l.includes("const y") ? [l, `      v128.store(dummy, ${/const (y\d+)/.exec(l)[1]});`] : [l]));
  return `
export function gmm_u${d}(${SIG}): void {
  const cs: usize = <usize>stride << 3;
  const nacc = k * ${Q} + 1;
  memory.fill(scratch, 0, <usize>nacc << 4);
  const lbuf = scratch + (<usize>nacc << 4);
  const rbuf = lbuf + (<usize>k << 4);
  const xb = rbuf + (<usize>k << 5);
  const dummy = xb + ${2 * d * 16};
  let ll = f64x2(0.0, 0.0);
  for (let i = start; i < end; i += 4) {
    for (let h = 0; h < 2; h++) {
      const ih = i + (h << 1);
      const rh = rbuf + (<usize>(h * k) << 4);
      if (ih >= end) {
        memory.fill(rh, 0, <usize>k << 4);
        break;
      }
      const xh = xb + <usize>h * ${d * 16};
${loadPairAt(d)}
      let mx = cst(C_NEG_INF);
      for (let c = 0; c < k; c++) {
        const q = params + <usize>c * ${Q * 16};
${e.lines.map((l) => "  " + l).join("\n")}
        const l = vadd(v128.load(q), vmul(cst(C_NEG_HALF), ${e.sq}));
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
      for (let c = 0; c < k; c++) v128.store(rh + (<usize>c << 4), vmul(v128.load(lbuf + (<usize>c << 4)), f));
    }
    for (let c = 0; c < k; c++) {
      const ra = v128.load(rbuf + (<usize>c << 4));
      const rb = v128.load(rbuf + (<usize>(k + c) << 4));
      const a = scratch + <usize>c * ${Q * 16};
${gmmMStep2(d, "a", 0, "ra", "rb").join("\n")}
    }
  }
  v128.store(scratch + (<usize>(nacc - 1) << 4), ll);
  flush(scratch, out, nacc);
}
`;
}

/**
 * GMM kernel unrolled over both k and d: per-component values live in locals and every
 * parameter is read at a constant offset; four rows per step, dummy stores as above.
 */
export function gmmSpecialized(k, d, { dummyStore = true, horner = true } = {}) {
  const Q = 1 + d + tri(d);
  const nacc = k * Q + 1;
  const body = [];
  for (const c of range(k)) {
    const e = gmmEStep(d, "params", c * Q);
    body.push(`      let l${c}: v128;`);
    body.push("      {");
    for (const line of e.lines) {
      body.push("  " + line);
      if (dummyStore && line.includes("const y")) body.push(`        v128.store(dummy, ${/const (y\d+)/.exec(line)[1]});`);
    }
    body.push(`        l${c} = vadd(v128.load(params, ${c * Q * 16}), vmul(cst(C_NEG_HALF), ${e.sq}));`);
    body.push("      }");
  }
  const mx = range(k).reduce((acc, c) => (acc === null ? `l${c}` : `f64x2.pmax(${acc}, l${c})`), null);
  body.push(`      const mx = ${mx};`);
  for (const c of range(k)) body.push(`      const e${c} = ${horner ? "vexpH" : "vexp"}(vsub(l${c}, mx));`);
  body.push(`      const s = ${treeSum(range(k).map((c) => `e${c}`))};`);
  body.push("      ll = vadd(ll, vmul(wv, vadd(mx, vlog(s))));");
  body.push("      const f = f64x2.div(wv, s);");
  for (const c of range(k)) body.push(`      v128.store(rh, vmul(e${c}, f), ${c * 16});`);
  const m = [];
  for (const c of range(k)) {
    m.push("    {");
    m.push(`      const ra = v128.load(rbuf, ${c * 16});`);
    m.push(`      const rb = v128.load(rbuf, ${(k + c) * 16});`);
    m.push(...gmmMStep2(d, "scratch", c * Q, "ra", "rb"));
    m.push("    }");
  }
  return `
export function gmm_k${k}_d${d}(${SIG}): void {
  const cs: usize = <usize>stride << 3;
  memory.fill(scratch, 0, ${nacc * 16});
  const rbuf = scratch + ${nacc * 16};
  const xb = rbuf + ${2 * k * 16};
  const dummy = xb + ${2 * d * 16};
  let ll = f64x2(0.0, 0.0);
  for (let i = start; i < end; i += 4) {
    for (let h = 0; h < 2; h++) {
      const ih = i + (h << 1);
      const rh = rbuf + <usize>h * ${k * 16};
      if (ih >= end) {
        memory.fill(rh, 0, ${k * 16});
        break;
      }
      const xh = xb + <usize>h * ${d * 16};
${loadPairAt(d)}
${body.join("\n")}
    }
${m.join("\n")}
  }
  v128.store(scratch, ll, ${(nacc - 1) * 16});
  flush(scratch, out, ${nacc});
}
`;
}

// ---------------------------------------------------------------------------------------------
// k-means assignment: nearest centre by squared Euclidean distance (first one on ties).
// Parameters: centres (k x d f64x2 values); per centre |c|^2 and -2 c (k x (d + 1)); then
// 2 max_c |c|^2 and the rounding factor of the search (see kmeansBlockSearch). Output per
// cluster: sum w, sum w x (d); then the total cost sum_i w_i min_c ||x_i - c||^2.
//
// The kernels work on blocks of KMEANS_BLOCK_PAIRS row pairs, in three steps:
// 1. the block's rows (for the bounded kernel: those that cannot skip the search) are copied pair
//    by pair in single precision, four rows to a vector (xq, d f32x4 per two pairs), for the
//    search, and (plain kernel) as they are into scratch (xblk, d f64x2 per pair), so step 3
//    reads them at constant offsets (the bounded kernel reads its pairs from the columns again);
// 2. the search, centre by centre over the block, in single precision (kmeansBlockSearch);
// 3. per pair: the exact squared distance to the chosen centre (its cost; near-ties are settled
//    on exact distances first), and its weight and coordinates added to the centre's sums.
// Centre indices are kept as i64 lanes. The per-centre sums are f64x2 accumulators in scratch
// (one lane per row of a pair), whose lanes are added into `out` at the end of the call.
// ---------------------------------------------------------------------------------------------

/** Row pairs per block of the k-means kernels. */
export const KMEANS_BLOCK_PAIRS = 64;

// Their scratch, in 128-bit values: per two pairs of a block 3 + d for the search (best, second,
// index, the four rows in single precision), per pair 1 + d (cost, the pair's rows), the list of
// pairs (an i32 each), then the per-centre sums (k (d + 1)) and the search's single-precision
// centre values (k (d + 1)); see kmeansScratch in src/ml/kernels/index.ts.

/** Reads the k-means parameters that follow the centres, and lays out the scratch. */
function kmeansSetup(d) {
  return `  const cs: usize = <usize>stride << 3;
  const dots = params + <usize>k * ${d * 16};
  const cmax2 = v128.load(dots + <usize>k * ${(d + 1) * 16});
  const errc = v128.load(dots + <usize>k * ${(d + 1) * 16}, 16);
  const lim = v128.load(dots + <usize>k * ${(d + 1) * 16}, 32);
  const tail = dots + <usize>k * ${(d + 1) * 16} + 48;
  const bestb = scratch;
  const secb = bestb + ${KMEANS_BLOCK_PAIRS * 8};
  const bib = secb + ${KMEANS_BLOCK_PAIRS * 8};
  const xq = bib + ${KMEANS_BLOCK_PAIRS * 8};
  const costb = xq + ${KMEANS_BLOCK_PAIRS * d * 8};
  const xblk = costb + ${KMEANS_BLOCK_PAIRS * 16};
  const list = xblk + ${KMEANS_BLOCK_PAIRS * d * 16};
  const sums = list + ${KMEANS_BLOCK_PAIRS * 4};
  memory.fill(sums, 0, <usize>k * ${(d + 1) * 16});
  // The search's centre values (|c|^2, -2 c) in single precision, each splat over four lanes,
  // once per call: the search loads them, since values kept in registers across its inner loop
  // were recomputed (converted and splat) in every iteration (TurboFan, measured).
  const cq = sums + <usize>k * ${(d + 1) * 16};
  for (let o: usize = 0; o < <usize>k * ${(d + 1) * 16}; o += 16) v128.store(cq + o, f32x4.splat(<f32>f64x2.extract_lane(v128.load(dots + o), 0)));
${range(d).slice(1).map((j) => `  const c${j}: usize = <usize>${j} * cs;`).join("\n")}
  let cost = f64x2(0.0, 0.0);`;
}

/** Loads x0..x{d-1} of the row pair at row i straight from the columns (c_j = j * cs). */
function loadFromColumns(d, indent) {
  return [`${indent}const px = data + (<usize>i << 3);`, ...range(d).map((j) => `${indent}const x${j} = v128.load(px${j ? ` + c${j}` : ""});`)].join("\n");
}

/**
 * Copies x0.. into slot `slot` of xblk, and in single precision into half `slot & 1` of the
 * four-row vectors of xq (two pairs per d f32x4).
 */
function toBlock(d, slot, indent, f64 = true) {
  return [
    `${indent}{ ${f64 ? `const xt = xblk + <usize>${slot} * ${d * 16};` : ""}`,
    `${indent}  const xs = xq + <usize>(${slot} >> 1) * ${d * 16} + (<usize>(${slot} & 1) << 3);`,
    ...range(d).map((j) => `${indent}  ${f64 ? `v128.store(xt, x${j}, ${j * 16}); ` : ""}v128.store64_lane(xs, f32x4.demote_f64x2_zero(x${j}), 0, ${j * 16});`),
    `${indent}}`,
  ].join("\n");
}

/**
 * Declares `${p}${j} = x_j - c_j` for the centre rows at q0 (lane 0) and q1 (lane 1) and returns
 * the expression of their squared norm.
 */
function exactDistance(d, p, lines, indent) {
  for (const j of range(d)) lines.push(`${indent}const ${p}${j} = vsub(x${j}, v128.load64_lane(q1, v128.load(q0, ${j * 16}), 1, ${j * 16}));`);
  return dotSum(range(d).map((j) => [`${p}${j}`, `${p}${j}`]), null);
}

/** The centre rows that lanes 0 and 1 of the i64x2 index vector `v` name, as q0 and q1 (and their indices a0, a1). */
function centreRows(d, v, indent) {
  return `${indent}const a0 = <usize>i64x2.extract_lane(${v}, 0);
${indent}const a1 = <usize>i64x2.extract_lane(${v}, 1);
${indent}const q0 = params + a0 * ${d * 16};
${indent}const q1 = params + a1 * ${d * 16};`;
}

/**
 * Step 2: the search over the k centres for the np pairs in xq, in single precision with four
 * rows to a vector, and with the centre in the outer loop: its values stay in registers while
 * each row's running minimum is read and written in scratch, so no row waits on its own previous
 * compare (with the centres inner, that chain of compares and selects was the kernel's critical
 * path). It runs on the dot form |c|^2 - 2 x.c (the squared distance less |x|^2): d multiplies
 * and adds per centre. `secb` keeps the second smallest value, min(second, max(best, s)).
 *
 * The search's error, from rounding x, c and |c|^2 to single precision and from the arithmetic,
 * is below E = (d + 5) 2^-24 (|x|^2 + 2 max |c|^2) plus at most 2^-143 from underflow, and
 * `tol2` (kmeansResolve) is at least 2E. When the two smallest values are more than 2E apart on
 * both lanes of a pair, the smallest one is the exact nearest centre (the first on ties);
 * otherwise (near-ties, rare) the pair is searched again on exact distances, and so is a pair
 * whose |x|^2 + 2 max |c|^2 reaches 2^126, where a product could overflow single precision.
 */
function kmeansBlockSearch(d) {
  const sum = dotSum(range(d).map((j) => [`v128.load(q, ${(j + 1) * 16})`, `v128.load(xt, ${j * 16})`]), "v128.load(q)", "f32x4.mul", "f32x4.add");
  return `    const nq = (np + 1) >> 1;
    if (np & 1) {
      // The unused half of the last four-row vectors: zeros, so every lane stays finite.
      const xs = xq + <usize>(np >> 1) * ${d * 16} + 8;
      for (let j = 0; j < ${d}; j++) store<u64>(xs + (<usize>j << 4), 0);
    }
    for (let o: usize = 0; o < (<usize>nq << 4); o += 16) {
      v128.store(bestb + o, f32x4.splat(Infinity));
      v128.store(secb + o, f32x4.splat(Infinity));
      v128.store(bib + o, i32x4.splat(0));
    }
    for (let c = 0; c < k; c++) {
      const q = cq + <usize>c * ${(d + 1) * 16};
      const cf = i32x4.splat(c);
      let xt = xq;
      for (let o: usize = 0; o < (<usize>nq << 4); o += 16) {
        const s = ${sum};
        xt += ${d * 16};
        const b = v128.load(bestb + o);
        v128.store(secb + o, f32x4.pmin(v128.load(secb + o), f32x4.pmax(b, s)));
        v128.store(bestb + o, f32x4.pmin(b, s));
        v128.store(bib + o, v128.bitselect(cf, v128.load(bib + o), f32x4.lt(s, b)));
      }
    }`;
}

/**
 * Step 3's first half for block slot t (x0.. loaded from xblk): sets `bi` (the nearest centre),
 * `best` (the exact squared distance to it), `lowerSq` (a lower bound on the squared distance to
 * every other centre), q0/q1 and a0/a1 (the chosen centres' rows and indices per lane).
 */
function kmeansResolve(d, exact = true) {
  return `      const st = <usize>t << 3;
      let best = f64x2.promote_low_f32x4(v128.load64_zero(bestb + st));
      let second = f64x2.promote_low_f32x4(v128.load64_zero(secb + st));
      let bi = i64x2.extend_low_i32x4_s(v128.load64_zero(bib + st));
      const xn = ${dotSum(range(d).map((j) => [`x${j}`, `x${j}`]), null)};
      const scale = vadd(xn, cmax2);
      const tol2 = vmul(errc, scale);
      let lowerSq = vsub(vadd(xn, second), tol2);
      // Settled when the gap is above tol2 on both lanes, and nothing can have overflowed.
      if (!i64x2.all_true(v128.and(f64x2.gt(vsub(second, best), tol2), f64x2.lt(scale, lim)))) {
        best = cst(C_INF);
        second = cst(C_INF);
        for (let c = 0; c < k; c++) {
          const q = params + <usize>c * ${d * 16};
          const dist = ${treeSum(range(d).map((j) => `sq(vsub(x${j}, v128.load(q, ${j * 16})))`))};
          const lt = f64x2.lt(dist, best);
          second = v128.bitselect(best, f64x2.min(dist, second), lt);
          best = v128.bitselect(dist, best, lt);
          bi = v128.bitselect(i64x2.splat(<i64>c), bi, lt);
        }
        lowerSq = second;
      }${exact ? `\n${exactBest(d, "      ")}` : ""}`;
}

/** The rest of step 3's first half: q0/q1 and a0/a1 for the chosen centres, and `best`, the exact squared distance to them. */
function exactBest(d, indent) {
  const inner = [];
  const dist = exactDistance(d, "e", inner, indent);
  return `${centreRows(d, "bi", indent)}
${inner.join("\n")}
${indent}best = ${dist};`;
}

/** Loads x0.. of block slot t from xblk. */
function fromBlock(d) {
  return [`      const xt = xblk + <usize>t * ${d * 16};`, ...range(d).map((j) => `      const x${j} = v128.load(xt, ${j * 16});`)].join("\n");
}

/** sums[centre] += sign * (weights, weights * x) for the f64x2 weight vector `wt` (one lane per row). */
function addToSums(d, centre, wt, sign, indent) {
  const op = sign === "+" ? "vadd" : "vsub";
  return [
    `${indent}{ const a = sums + ${centre} * ${(d + 1) * 16};`,
    `${indent}  v128.store(a, ${op}(v128.load(a), ${wt}));`,
    ...range(d).map((j) => `${indent}  v128.store(a, ${op}(v128.load(a, ${(j + 1) * 16}), vmul(${wt}, x${j})), ${(j + 1) * 16});`),
    `${indent}}`,
  ].join("\n");
}

/** Adds the pair to the sums of its centres a0 (lane 0) and a1 (lane 1): once when they agree, else each with its lane's weight. */
function addPair(d, c0, c1, sign, indent) {
  return `${indent}if (${c0} == ${c1}) {
${addToSums(d, c0, "wv", sign, indent + "  ")}
${indent}} else {
${indent}  const w0 = v128.and(wv, cst(C_LANE0));
${indent}  const w1 = vsub(wv, w0);
${addToSums(d, c0, "w0", sign, indent + "  ")}
${addToSums(d, c1, "w1", sign, indent + "  ")}
${indent}}`;
}

/** The end of a k-means kernel: the sums' lanes into out, then the cost after them (and with `skips`, the count of skipping pairs after that). */
function kmeansFinish(d, skips = false) {
  return `  flush(sums, out, k * ${d + 1});
  const oc = out + <usize>k * ${(d + 1) * 8};
  store<f64>(oc, load<f64>(oc) + (f64x2.extract_lane(cost, 0) + f64x2.extract_lane(cost, 1)));${
    skips ? "\n  store<f64>(oc, load<f64>(oc, 8) + <f64>skipped, 8);" : ""
  }`;
}

export function kmeansUnrolled(d) {
  return `
export function kmeans_u${d}(${SIG}): void {
${kmeansSetup(d)}
  for (let i0 = start; i0 < end; i0 += ${2 * KMEANS_BLOCK_PAIRS}) {
    const np = (min(end - i0, ${2 * KMEANS_BLOCK_PAIRS}) + 1) >> 1;
    for (let t = 0; t < np; t++) {
      const i = i0 + (t << 1);
${loadFromColumns(d, "      ")}
${toBlock(d, "t", "      ")}
    }
${kmeansBlockSearch(d)}
    for (let t = 0; t < np; t++) {
      const i = i0 + (t << 1);
${fromBlock(d)}
${weightsAt("      ")}
${kmeansResolve(d)}
      cost = vadd(cost, vmul(wv, best));
${addPair(d, "a0", "a1", "+", "      ")}
    }
  }
${kmeansFinish(d)}
}
`;
}

// ---------------------------------------------------------------------------------------------
// k-means assignment with Hamerly's bounds, kept per row between passes. Only rows whose centre
// changed touch the sums: the kernel outputs per-cluster CHANGES (sum w, sum w x), which the
// caller adds to the sums of the previous pass; a full pass (flag set) outputs the sums themselves.
// State per row (y = its address; two columns of `stride` f64): a lower bound on the distance to
// every centre but the assigned one, then the assigned centre's index (an i64). Parameters: those
// of the plain kernel, then per centre half the distance to its nearest other centre (k), the
// largest distance any centre moved since the state was written, the bounds' safety factor (just
// below 1), the full-pass flag (1 = search every row, ignore the stored centre) and the sparse
// flag (1 = branch on each pair's test, see below).
// Each row's distance to its assigned centre is computed exactly (it is the row's cost), so only
// the lower bound is carried. A row pair skips the search when, on both lanes, that distance is
// strictly below max(lower bound, half-separation): then no other centre is as near (triangle
// inequality), so the nearest centre, first on ties, is unchanged. The pairs of a block that
// cannot skip are listed and copied to xq, and only they go through the search. In the middle
// of a run about half the pairs skip, nearly at random, so a branch on the test would be
// mispredicted about every other pair (measured: the searched pairs then cost twice as much
// each): unless the sparse flag is set (nearly all pairs skipped in the last pass, so a branch
// is mostly predicted), every pair is copied and listed at the next free slot, which moves on
// only past a pair that cannot skip. Costs are added in row order, as the plain kernel adds
// them, so the total is bit for bit the same.
// After the cost, `out` gets the number of pairs that skipped; on a full pass, the number that
// would have skipped with the stored bounds (the caller runs full passes while skips are rare).
// ---------------------------------------------------------------------------------------------

/**
 * Declares `lower` (the row pair's stored lower bound less the largest centre move), `h` (half
 * the separation of centres a0/a1 from their nearest others) and `bound` (the larger of the two),
 * and returns the test that the squared distance `distSq` to centres a0/a1 proves them nearest
 * (Hamerly's bound).
 */
function hamerlyTest(distSq, lines, indent) {
  lines.push(`${indent}const lower = vsub(v128.load(lowers + at), moved);`);
  lines.push(`${indent}const h = v128.load64_lane(half + (a1 << 4), v128.load(half + (a0 << 4)), 1);`);
  // Squares compared: max(lower, h) >= 0 as h >= 0, and no square root delays the test.
  lines.push(`${indent}const bound = f64x2.pmax(lower, h);`);
  return `f64x2.lt(${distSq}, vmul(bound, bound))`;
}

export function kmeansBoundedUnrolled(d) {
  const skipLines = [], fullLines = [];
  const skipTest = hamerlyTest("ownSq", skipLines, "        ");
  const fullTest = hamerlyTest("best", fullLines, "          ");
  const ownLines = [];
  const own = exactDistance(d, "o", ownLines, "        ");
  return `
export function kmeansb_u${d}(${SIG}): void {
${kmeansSetup(d)}
  const half = tail;
  const moved = v128.load(half + (<usize>k << 4));
  const safety = v128.load(half + (<usize>k << 4), 16);
  const full = f64x2.extract_lane(v128.load(half + (<usize>k << 4), 32), 0) != 0.0;
  const sparse = f64x2.extract_lane(v128.load(half + (<usize>k << 4), 48), 0) != 0.0;
  const lowers = y;
  const owners = y + cs;
  let skipped = 0;
  for (let i0 = start; i0 < end; i0 += ${2 * KMEANS_BLOCK_PAIRS}) {
    const pairs = (min(end - i0, ${2 * KMEANS_BLOCK_PAIRS}) + 1) >> 1;
    let np = 0;
    for (let t = 0; t < pairs; t++) {
      const i = i0 + (t << 1);
${loadFromColumns(d, "      ")}
      let skip = false;
      if (!full) {
        const at = <usize>i << 3;
        const old = v128.load(owners + at);
${centreRows(d, "old", "        ")}
${ownLines.join("\n")}
        const ownSq = ${own};
${skipLines.join("\n")}
        skip = i64x2.all_true(${skipTest});
        v128.store(lowers + at, lower);
${weightsAt("        ")}
        v128.store(costb + (<usize>t << 4), vmul(wv, ownSq));
        skipped += <i32>skip;
        // When most pairs skip, a branch on the test is the cheaper way (mostly taken, so mostly
        // predicted). Otherwise which pairs skip is close to random, and a branch would be
        // mispredicted about every other pair: then the pair is written to slot np of the block
        // in any case, and np moves on only when it cannot skip.
        if (sparse && skip) continue;
      }
      store<i32>(list + (<usize>np << 2), t);
${toBlock(d, "np", "      ", false)}
      np += 1 - <i32>skip;
    }
${kmeansBlockSearch(d)}
    for (let t = 0; t < np; t++) {
      const slot = load<i32>(list + (<usize>t << 2));
      const i = i0 + (slot << 1);
      const at = <usize>i << 3;
${loadFromColumns(d, "      ")}
${weightsAt("      ")}
${kmeansResolve(d, false)}
      const old = v128.load(owners + at);
      // A pair that keeps its centres (most of them) already has its cost from step 1.
      if (full || !i64x2.all_true(i64x2.eq(old, bi))) {
${exactBest(d, "        ")}
        v128.store(costb + (<usize>slot << 4), vmul(wv, best));
        if (full) {
          // Would the stored bounds have let this pair skip? (Its centre is unchanged and provably so.)
${fullLines.join("\n")}
          if (i64x2.all_true(v128.and(i64x2.eq(old, bi), ${fullTest}))) skipped++;
${addPair(d, "a0", "a1", "+", "          ")}
        } else {
          // Rows that changed centre move from the old centre's sums to the new one's; a row that
          // stayed (the other lane) gets weight 0 in both.
          const b0 = <usize>i64x2.extract_lane(old, 0);
          const b1 = <usize>i64x2.extract_lane(old, 1);
          const wm = v128.and(wv, v128.not(i64x2.eq(old, bi)));
          {
            const wv = wm;
${addPair(d, "a0", "a1", "+", "            ")}
${addPair(d, "b0", "b1", "-", "            ")}
          }
        }
      }
      v128.store(lowers + at, vmul(f64x2.sqrt(f64x2.pmax(lowerSq, f64x2(0.0, 0.0))), safety));
      v128.store(owners + at, bi);
    }
    for (let t = 0; t < pairs; t++) cost = vadd(cost, v128.load(costb + (<usize>t << 4)));
  }
${kmeansFinish(d, true)}
}
`;
}

// ---------------------------------------------------------------------------------------------
// Binomial logistic regression: loss and gradient at (beta, b0).
// Parameters: beta (d), b0. Labels in y (0/1). Output: sum w (log(1 + e^m) - y m),
// gradient over beta (d), gradient over b0, sum w; m = b0 + beta . x.
// ---------------------------------------------------------------------------------------------

export function logisticUnrolled(d) {
  // One division per pair: 1 / (1 + e^-|m|) serves the sigmoid and log1p's rounding correction.
  // Two row pairs per step, their statements interleaved: each pair's exp -> log1p chain is
  // long, and two independent chains side by side keep the out-of-order core busy.
  const margin = (h) => treeSum([...range(d).map((j) => `vmul(v128.load(params, ${j * 16}), x${h}${j})`), `v128.load(params, ${d * 16})`]);
  const both = (f) => ["a", "b"].map((h) => `    ${f(h)}`).join("\n");
  const loads = range(d)
    .map((j) => `    const xa${j} = v128.load(p); const xb${j} = v128.load(p, 16);${j + 1 < d ? " p += cs;" : ""}`)
    .join("\n");
  const gAcc = range(d).map((j) => `  let g${j} = f64x2(0.0, 0.0);`).join("\n");
  const gUpd = range(d).map((j) => `    g${j} = vadd(g${j}, vadd(vmul(ga, xa${j}), vmul(gb, xb${j})));`).join("\n");
  const gStore = range(d).map((j) => `  v128.store(scratch, g${j}, ${(1 + j) * 16});`).join("\n");
  return `
export function logistic_u${d}(${SIG}): void {
  const cs: usize = <usize>stride << 3;
  let loss = f64x2(0.0, 0.0);
  let gi = f64x2(0.0, 0.0);
  let sw = f64x2(0.0, 0.0);
${gAcc}
  for (let i = start; i < end; i += 4) {
    let p = data + (<usize>i << 3);
${loads}
    const one = cst(C_ONE);
    let wa = one;
    let wb = one;
    if (w != 0) {
      wa = v128.load(w + (<usize>i << 3));
      wb = v128.load(w + (<usize>i << 3), 16);
    }
    if (i + 1 >= end) wa = v128.and(wa, cst(C_LANE0));
    if (i + 3 >= end) wb = i + 2 >= end ? f64x2(0.0, 0.0) : v128.and(wb, cst(C_LANE0));
    const ya = v128.load(y + (<usize>i << 3));
    const yb = v128.load(y + (<usize>i << 3), 16);
    const ma = ${margin("a")};
    const mb = ${margin("b")};
${both((h) => `const ex${h} = vexp(f64x2.neg(f64x2.abs(m${h})));`)}
${both((h) => `const u${h} = vadd(one, ex${h}); const inv${h} = f64x2.div(one, u${h});`)}
${both((h) => `const sp${h} = vadd(f64x2.pmax(f64x2(0.0, 0.0), m${h}), vlog1pu(ex${h}, u${h}, inv${h}));`)}
${both((h) => `const sig${h} = vmul(v128.bitselect(one, ex${h}, f64x2.ge(m${h}, f64x2(0.0, 0.0))), inv${h});`)}
    loss = vadd(loss, vadd(vmul(wa, vsub(spa, vmul(ya, ma))), vmul(wb, vsub(spb, vmul(yb, mb)))));
${both((h) => `const g${h} = vmul(w${h}, vsub(sig${h}, y${h}));`)}
${gUpd}
    gi = vadd(gi, vadd(ga, gb));
    sw = vadd(sw, vadd(wa, wb));
  }
  v128.store(scratch, loss);
${gStore}
  v128.store(scratch, gi, ${(d + 1) * 16});
  v128.store(scratch, sw, ${(d + 2) * 16});
  flush(scratch, out, ${d + 3});
}
`;
}

// ---------------------------------------------------------------------------------------------
// Multinomial logistic regression (softmax over K = k classes).
// Parameters: K x d coefficients (class-major), then K intercepts. Labels y in 0..K-1.
// Output: sum w (logsumexp(m) - m_y), gradient K x d, gradient of the K intercepts, sum w.
// ---------------------------------------------------------------------------------------------

export function multinomialUnrolled(d) {
  const margin = treeSum([...range(d).map((j) => `vmul(v128.load(q, ${j * 16}), x${j})`), "v128.load(gp + (<usize>c << 4))"]);
  const upd = range(d)
    .map((j) => `      ${accum("a", j * 16, `vmul(g, x${j})`)}`)
    .join("\n");
  // Scratch (and output) order: loss, K x d gradient, K intercept gradients, sum w.
  return `
export function multinomial_u${d}(${SIG}): void {
  const cs: usize = <usize>stride << 3;
  const nacc = k * ${d + 1} + 2;
  memory.fill(scratch, 0, <usize>nacc << 4);
  const mbuf = scratch + (<usize>nacc << 4);
  const gi = scratch + 16 + <usize>k * ${d * 16};
  const gp = params + <usize>k * ${d * 16};
  let loss = f64x2(0.0, 0.0);
  let sw = f64x2(0.0, 0.0);
  for (let i = start; i < end; i += 2) {
${loadRowPair(d)}
${LOAD_WEIGHTS}
    const yl = v128.load(y + (<usize>i << 3));
    let mx = cst(C_NEG_INF);
    let my = f64x2(0.0, 0.0);
    for (let c = 0; c < k; c++) {
      const q = params + <usize>c * ${d * 16};
      const m = ${margin};
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
    loss = vadd(loss, vmul(wv, vsub(vadd(mx, vlog(s)), my)));
    const f = f64x2.div(wv, s);
    for (let c = 0; c < k; c++) {
      const ind = v128.and(f64x2.eq(yl, splat(<f64>c)), wv);
      const g = vsub(vmul(v128.load(mbuf + (<usize>c << 4)), f), ind);
      const a = scratch + 16 + <usize>c * ${d * 16};
${upd}
      acc(gi, <usize>c << 4, g);
    }
    sw = vadd(sw, wv);
  }
  v128.store(scratch, loss);
  v128.store(scratch + (<usize>(nacc - 1) << 4), sw);
  flush(scratch, out, nacc);
}
`;
}

// ---------------------------------------------------------------------------------------------
// Weighted Gram pass for least squares.
// Output: sum w, sum w x (d), sum w x x^T packed by rows, sum w y x (d), sum w y, sum w y^2.
// ---------------------------------------------------------------------------------------------

export function gramUnrolled(d) {
  const T = tri(d);
  const n = 1 + d + T + d + 2;
  const lines = [];
  let a = 1 + d;
  for (const i of range(d)) {
    lines.push(`    { const wx = vmul(wv, x${i}); ${accum("scratch", (1 + i) * 16, "wx")} ${accum("scratch", (1 + d + T + i) * 16, `vmul(wy, x${i})`)}`);
    for (const j of range(i + 1)) lines.push(`      ${accum("scratch", a++ * 16, `vmul(wx, x${j})`)}`);
    lines.push("    }");
  }
  return `
export function gram_u${d}(${SIG}): void {
  const cs: usize = <usize>stride << 3;
  memory.fill(scratch, 0, ${n * 16});
  for (let i = start; i < end; i += 2) {
${loadRowPair(d)}
${LOAD_WEIGHTS}
    const yl = y != 0 ? v128.load(y + (<usize>i << 3)) : f64x2(0.0, 0.0);
    const wy = vmul(wv, yl);
    ${accum("scratch", 0, "wv")}
${lines.join("\n")}
    ${accum("scratch", (1 + 2 * d + T) * 16, "wy")}
    ${accum("scratch", (2 + 2 * d + T) * 16, "vmul(wy, yl)")}
  }
  flush(scratch, out, ${n});
}
`;
}

// ---------------------------------------------------------------------------------------------
// Residual sums of a linear model (the regression summary's metrics), one pass.
// Parameters: beta (d), b0. Labels in y. Output: sum w, sum w y, sum w y^2, sum w e^2, sum w |e|,
// sum w p, sum w p^2, with p = b0 + beta . x and e = y - p.
// ---------------------------------------------------------------------------------------------

export function linearMetricsUnrolled(d) {
  const pred = treeSum([...range(d).map((j) => `vmul(v128.load(params, ${j * 16}), x${j})`), `v128.load(params, ${d * 16})`]);
  const names = ["sw", "swy", "swyy", "swee", "swae", "swp", "swpp"];
  return `
export function linmetrics_u${d}(${SIG}): void {
  const cs: usize = <usize>stride << 3;
${names.map((n) => `  let ${n} = f64x2(0.0, 0.0);`).join("\n")}
  for (let i = start; i < end; i += 2) {
${loadRowPair(d)}
${LOAD_WEIGHTS}
    const yl = v128.load(y + (<usize>i << 3));
    const pr = ${pred};
    const e = vsub(yl, pr);
    const wy = vmul(wv, yl);
    const we = vmul(wv, e);
    const wp = vmul(wv, pr);
    sw = vadd(sw, wv);
    swy = vadd(swy, wy);
    swyy = vadd(swyy, vmul(wy, yl));
    swee = vadd(swee, vmul(we, e));
    swae = vadd(swae, f64x2.abs(we));
    swp = vadd(swp, wp);
    swpp = vadd(swpp, vmul(wp, pr));
  }
${names.map((n, t) => `  v128.store(scratch, ${n}, ${t * 16});`).join("\n")}
  flush(scratch, out, ${names.length});
}
`;
}

/**
 * The core module: the generic kernels (re-exported), the constant table's initializer and the
 * non-GMM kernels unrolled over d = 1..maxD.
 */
export function coreModule(maxD) {
  const parts = [HEADER, 'export * from "./generic";\nexport { init_constants } from "./common";\n'];
  for (let d = 1; d <= maxD; d++) {
    parts.push(kmeansUnrolled(d), kmeansBoundedUnrolled(d), logisticUnrolled(d), multinomialUnrolled(d), gramUnrolled(d), linearMetricsUnrolled(d));
  }
  return parts.join("\n");
}

/** The GMM kernels unrolled over d = 1..maxD with k at run time (a module of their own, so the build splits evenly). */
export function gmmUnrolledModule(maxD) {
  const parts = [HEADER];
  for (let d = 1; d <= maxD; d++) parts.push(gmmUnrolled(d));
  return parts.join("\n");
}

/** A module with the GMM kernels specialized for one d and several k. */
export function specializedModule(d, ks, options) {
  return [HEADER, ...ks.map((k) => gmmSpecialized(k, d, options))].join("\n");
}
