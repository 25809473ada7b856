// Contrast for collect_1m: a naive, generic row-by-row conversion over the streamed chunks
// (one getItem() call per cell, a generic value converter, objects built key by key).
//   node engines/naive.mjs collect <dataset>
import { DuckDBInstance } from "@duckdb/node-api";
import { parseArgs, report, unsupported, workloadSql } from "../lib.mjs";
import { collectChecksumOf } from "./checksums.mjs";

const { workload, dataset } = parseArgs();
if (workload !== "collect") unsupported("naive", workload);
const t0 = performance.now();
const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
const conn = await instance.connect();
const res = await conn.stream(workloadSql(workload, dataset));
const names = [];
for (let j = 0; j < res.columnCount; j++) names.push(res.columnName(j));

function toJS(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "object" && typeof v.toString === "function" && !(v instanceof Date)) return v.toString();
  return v;
}

const rows = [];
for (;;) {
  const chunk = await res.fetchChunk();
  if (!chunk || chunk.rowCount === 0) break;
  const vecs = names.map((_, j) => chunk.getColumnVector(j));
  for (let i = 0; i < chunk.rowCount; i++) {
    const row = {};
    for (let j = 0; j < names.length; j++) row[names[j]] = toJS(vecs[j].getItem(i));
    rows.push(row);
  }
}
const innerMs = performance.now() - t0;
report([collectChecksumOf(rows)], innerMs);
conn.closeSync();
