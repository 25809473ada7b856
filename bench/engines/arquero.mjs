// arquero anchor (in-memory, single-threaded JS): run on the 1M-row head only.
// "parquet" workloads read rows1m.arrow (Arrow IPC, written by gen.mjs), since arquero has no
// Parquet reader of its own.
//   node engines/arquero.mjs <workload> rows1m
import * as aq from "arquero";
import { KEYS_CSV, dataPath, parseArgs, report, unsupported } from "../lib.mjs";

const { workload, dataset } = parseArgs();
const t0 = performance.now();
const { op } = aq;
const csv = () => aq.loadCSV(dataPath(dataset, "csv"));
const arrow = () => aq.loadArrow(dataPath(dataset, "arrow"));

const groupBy = (t) =>
  t.groupby("key").rollup({
    n: op.count(),
    avg_f0: (d) => op.mean(d.f0),
    sum_f1: (d) => op.sum(d.f1),
    max_f2: (d) => op.max(d.f2),
  });

switch (workload) {
  case "groupby_csv":
    report(groupBy(await csv()).objects(), performance.now() - t0);
    break;
  case "groupby_parquet":
    report(groupBy(await arrow()).objects(), performance.now() - t0);
    break;
  case "filter_join_groupby": {
    const [t, keys] = await Promise.all([arrow(), aq.loadCSV(KEYS_CSV)]);
    const out = t
      .filter((d) => d.f0 > 0.5)
      .join(keys, "key")
      .groupby("region")
      .rollup({ n: op.count(), avg_f3: (d) => op.mean(d.f3) });
    report(out.objects(), performance.now() - t0);
    break;
  }
  case "window": {
    const out = (await arrow())
      .select("id", "key", "f0")
      .groupby("key")
      .orderby(aq.desc("f0"))
      .derive({ rn: () => op.row_number() })
      .filter((d) => d.rn <= 3)
      .ungroup();
    report(out.objects(), performance.now() - t0);
    break;
  }
  default:
    unsupported("arquero", workload);
}
