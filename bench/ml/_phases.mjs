import { Session } from "quarry";
import { VectorAssembler, KernelStatsProvider } from "quarry/ml";
const size = process.argv[2] ?? "1m";
const spark = await Session.builder().master("local[2]").getOrCreate();
const df = new VectorAssembler({ inputCols: ["f0","f1","f2","f3","f4","f5","f6","f7"], outputCol: "features" }).transform(spark.read.parquet(`/work/wt-mlspeed/bench/data/ml_${size}.parquet`));
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
for (let rep = 0; rep < 2; rep++) {
let t = performance.now(), c = cpu();
const lap = (what) => { const now = performance.now(), cc = cpu(); console.log(rep, what, "wall", ((now - t)/1000).toFixed(3), "cpu", (cc - c).toFixed(3)); t = now; c = cc; };
await df.schema(); lap("schema");
const r = await KernelStatsProvider.create(df, { featuresCol: "features", labelCol: "y", weightCol: null }, { center: false, normalize: false }); lap("create");
await r.provider.summary({ labels: false }); lap("summary");
await r.provider.gram(); lap("gram");
await r.provider.binomial(new Float64Array(8), 0, null); lap("binomial");
await r.provider.kmeans([[0,0,0,0,0,0,0,0],[1,1,1,1,1,1,1,1]]); lap("kmeans");
await r.provider.close(); lap("close");
}
await spark.stop();
