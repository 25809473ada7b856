// Quarry's own .proto definitions against Spark's: every message, field, oneof, enum value and rpc
// Quarry declares must exist in the protocol of the pinned Spark release with the same number and
// type. Spark's .proto files come from the spark-connect jar that scripts/spark downloads from
// Maven Central; both sides are compiled to descriptors with buf and compared field by field.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { clone, fromBinary, isFieldSet } from "@bufbuild/protobuf";
import {
  DescriptorProtoSchema, FileDescriptorSetSchema, FieldDescriptorProtoSchema, FieldDescriptorProto_Label, FieldDescriptorProto_Type,
  type DescriptorProto, type FieldDescriptorProto, type EnumDescriptorProto, type FileDescriptorSet, type ServiceDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { repoRoot, serverScript } from "./spark-server.js";
import { SPARK_SKIP } from "./spark-server.js";

/** The entries of a zip file whose names match `keep`, read with the central directory. */
function unzip(file: string, keep: (name: string) => boolean): Map<string, Buffer> {
  const buf = fs.readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry in ${file}`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (!keep(name)) continue;
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + compressed);
    out.set(name, method === 0 ? Buffer.from(data) : zlib.inflateRawSync(data));
  }
  return out;
}

/** Compiles the .proto files under `dir` to a descriptor set with buf. */
function descriptors(dir: string, out: string): FileDescriptorSet {
  if (!fs.existsSync(path.join(dir, "buf.yaml"))) fs.writeFileSync(path.join(dir, "buf.yaml"), "version: v2\n");
  execFileSync(path.join(repoRoot(), "node_modules/.bin/buf"), ["build", dir, "-o", out], { stdio: "pipe" });
  return fromBinary(FileDescriptorSetSchema, fs.readFileSync(out));
}

interface Index {
  messages: Map<string, DescriptorProto>;
  enums: Map<string, EnumDescriptorProto>;
  services: Map<string, ServiceDescriptorProto>;
}

function index(set: FileDescriptorSet): Index {
  const idx: Index = { messages: new Map(), enums: new Map(), services: new Map() };
  const walk = (prefix: string, m: DescriptorProto) => {
    const name = `${prefix}.${m.name}`;
    idx.messages.set(name, m);
    for (const e of m.enumType) idx.enums.set(`${name}.${e.name}`, e);
    for (const n of m.nestedType) walk(name, n);
  };
  for (const f of set.file) {
    const pkg = f.package ? `.${f.package}` : "";
    for (const m of f.messageType) walk(pkg, m);
    for (const e of f.enumType) idx.enums.set(`${pkg}.${e.name}`, e);
    for (const s of f.service) idx.services.set(`${pkg}.${s.name}`, s);
  }
  return idx;
}

const typeName = (t: FieldDescriptorProto_Type) => FieldDescriptorProto_Type[t] ?? String(t);
const labelName = (l: FieldDescriptorProto_Label) => FieldDescriptorProto_Label[l] ?? String(l);

/** The name of the real oneof a field belongs to (not the synthetic one of a proto3 `optional`). */
function oneofOf(m: DescriptorProto, f: FieldDescriptorProto): string | null {
  if (f.proto3Optional || !isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex)) return null;
  return m.oneofDecl[f.oneofIndex]?.name ?? null;
}

/** Every difference between Quarry's declarations and Spark's, as readable lines. */
function differences(ours: Index, spark: Index): string[] {
  const diffs: string[] = [];
  for (const [name, m] of ours.messages) {
    const s = spark.messages.get(name);
    if (!s) { diffs.push(`message ${name}: not in Spark's protocol`); continue; }
    for (const f of m.field) {
      const sf = s.field.find((x) => x.number === f.number);
      const where = `${name}.${f.name} = ${f.number}`;
      if (!sf) { diffs.push(`${where}: Spark has no field ${f.number}`); continue; }
      if (sf.name !== f.name) diffs.push(`${where}: Spark calls field ${f.number} "${sf.name}"`);
      if (sf.type !== f.type) diffs.push(`${where}: type ${typeName(f.type)}, Spark's is ${typeName(sf.type)}`);
      if (sf.typeName !== f.typeName) diffs.push(`${where}: type ${f.typeName}, Spark's is ${sf.typeName}`);
      if (sf.label !== f.label) diffs.push(`${where}: label ${labelName(f.label)}, Spark's is ${labelName(sf.label)}`);
      if (Boolean(sf.proto3Optional) !== Boolean(f.proto3Optional)) diffs.push(`${where}: optional is ${Boolean(f.proto3Optional)}, Spark's is ${Boolean(sf.proto3Optional)}`);
      const oneof = oneofOf(m, f);
      const soneof = oneofOf(s, sf);
      if (oneof !== soneof) diffs.push(`${where}: oneof ${oneof}, Spark's is ${soneof}`);
    }
  }
  for (const [name, e] of ours.enums) {
    const s = spark.enums.get(name);
    if (!s) { diffs.push(`enum ${name}: not in Spark's protocol`); continue; }
    for (const v of e.value) {
      const sv = s.value.find((x) => x.name === v.name);
      if (!sv) diffs.push(`${name}.${v.name}: not in Spark's enum`);
      else if (sv.number !== v.number) diffs.push(`${name}.${v.name} = ${v.number}: Spark's is ${sv.number}`);
    }
  }
  for (const [name, svc] of ours.services) {
    const s = spark.services.get(name);
    if (!s) { diffs.push(`service ${name}: not in Spark's protocol`); continue; }
    for (const m of svc.method) {
      const sm = s.method.find((x) => x.name === m.name);
      if (!sm) { diffs.push(`rpc ${name}.${m.name}: not in Spark's service`); continue; }
      if (sm.inputType !== m.inputType || sm.outputType !== m.outputType) diffs.push(`rpc ${name}.${m.name}: ${m.inputType} -> ${m.outputType}, Spark's is ${sm.inputType} -> ${sm.outputType}`);
      if (Boolean(sm.clientStreaming) !== Boolean(m.clientStreaming) || Boolean(sm.serverStreaming) !== Boolean(m.serverStreaming)) diffs.push(`rpc ${name}.${m.name}: streaming differs`);
    }
  }
  return diffs;
}

describe("Spark Connect .proto definitions", { skip: SPARK_SKIP }, () => {
  let tmp = "";
  let ours: Index;
  let spark: Index;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-proto-"));
    const jar = (await serverScript("jar")).trim().split("\n").pop()!;
    const files = unzip(jar, (n) => /^spark\/connect\/[^/]+\.proto$/.test(n) || n === "google/rpc/status.proto" || n === "google/rpc/error_details.proto");
    assert.ok([...files.keys()].some((n) => n === "spark/connect/base.proto"), `the jar ${jar} carries spark/connect/base.proto`);
    const sparkDir = path.join(tmp, "spark");
    for (const [name, data] of files) {
      fs.mkdirSync(path.dirname(path.join(sparkDir, name)), { recursive: true });
      fs.writeFileSync(path.join(sparkDir, name), data);
    }
    spark = index(descriptors(sparkDir, path.join(tmp, "spark.binpb")));
    const oursDir = path.join(tmp, "ours");
    fs.cpSync(path.join(repoRoot(), "src/backends/spark-connect/proto"), oursDir, { recursive: true });
    ours = index(descriptors(oursDir, path.join(tmp, "ours.binpb")));
  });

  after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

  it("declare only messages, fields, enum values and rpcs that Spark has, with Spark's numbers and types", () => {
    assert.ok(ours.messages.size > 50, `Quarry declares ${ours.messages.size} messages`);
    const diffs = differences(ours, spark);
    assert.deepEqual(diffs, [], `Quarry's .proto files differ from Spark's:\n${diffs.join("\n")}`);
  });

  it("the check itself notices a wrong number and a wrong type", () => {
    const limit = ours.messages.get(".spark.connect.Limit")!;
    const variant = (change: (f: FieldDescriptorProto) => void): Index => {
      const m = clone(DescriptorProtoSchema, limit);
      change(m.field.find((f) => f.name === "limit")!);
      return { ...ours, messages: new Map([[".spark.connect.Limit", m]]) };
    };
    assert.deepEqual(differences(variant((f) => { f.number = 9; }), spark), [".spark.connect.Limit.limit = 9: Spark has no field 9"]);
    assert.deepEqual(differences(variant((f) => { f.type = FieldDescriptorProto_Type.INT64; }), spark), [".spark.connect.Limit.limit = 2: type INT64, Spark's is INT32"]);
  });

  it("the committed TypeScript is generated from the current .proto files", () => {
    const out = path.join(tmp, "gen");
    execFileSync(process.execPath, [path.join(repoRoot(), "scripts/spark/gen-proto.mjs"), out], { stdio: "pipe" });
    const committed = path.join(repoRoot(), "src/backends/spark-connect/gen");
    const list = (d: string): string[] => fs.readdirSync(d, { recursive: true, withFileTypes: false }).map(String).filter((f) => f.endsWith(".ts")).sort();
    assert.deepEqual(list(out), list(committed));
    for (const f of list(out)) {
      assert.equal(fs.readFileSync(path.join(out, f), "utf8"), fs.readFileSync(path.join(committed, f), "utf8"), `${f} is stale: run node scripts/spark/gen-proto.mjs`);
    }
  });
});
