#!/usr/bin/env node
// Regenerates the TypeScript of Quarry's Spark Connect messages from the .proto files in
// src/backends/spark-connect/proto into src/backends/spark-connect/gen (committed), with buf and
// protoc-gen-es from devDependencies. Run after editing a .proto file:
//   node scripts/spark/gen-proto.mjs [outDir]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const protoDir = path.join(root, "src/backends/spark-connect/proto");
const out = path.resolve(process.argv[2] ?? path.join(root, "src/backends/spark-connect/gen"));
const bin = path.join(root, "node_modules/.bin");

const template = JSON.stringify({
  version: "v2",
  plugins: [{ local: path.join(bin, "protoc-gen-es"), out, opt: ["target=ts", "import_extension=js"] }],
});
fs.rmSync(out, { recursive: true, force: true });
execFileSync(path.join(bin, "buf"), ["generate", protoDir, "--template", template], { cwd: root, stdio: "inherit" });
// The generated code passes the project's lint rules; a blanket eslint-disable would itself be
// reported as unused.
for (const f of fs.readdirSync(out, { recursive: true })) {
  const file = path.join(out, String(f));
  if (!file.endsWith(".ts")) continue;
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^\/\* eslint-disable \*\/\n/m, ""));
}
console.log(`generated ${path.relative(root, out) || out}`);
