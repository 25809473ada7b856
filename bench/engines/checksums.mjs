// In-script reductions for the extraction workloads (computed after the timed part).

/** collect: row count and column sums over plain row objects. */
export function collectChecksumOf(rows) {
  let id = 0, f0 = 0, f1 = 0, label = 0, key = 0;
  for (const r of rows) {
    id += Number(r.id);
    f0 += r.f0;
    f1 += r.f1;
    label += Number(r.label);
    key += Number(r.key.slice(1));
  }
  return { rows: rows.length, sum_id: id, sum_f0: f0, sum_f1: f1, sum_label: label, sum_key: key };
}

/** toarrow: row count and per-column sums over an apache-arrow Table, chunk by chunk (no copy). */
export function arrowChecksumOf(table) {
  const out = { rows: table.numRows };
  for (const field of table.schema.fields) {
    const vec = table.getChild(field.name);
    let s = 0;
    for (const d of vec.data) {
      const v = d.values;
      for (let i = 0; i < d.length; i++) s += v[i];
    }
    out[`sum_${field.name}`] = s;
  }
  return out;
}
