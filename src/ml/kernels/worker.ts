/**
 * Kernel worker: instantiates the kernel modules over the pool's shared WebAssembly.Memory and
 * runs blocks of rows as the main thread hands out passes. Blocks are claimed with an atomic
 * counter, so a fast worker takes more of them; each block writes its own output slot, so the
 * result does not depend on which worker ran which block.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ToWorker, FromWorker, RunMessage } from "./protocol.js";
import { Wasm, type WasmInstance, type WasmMemory } from "./wasm-api.js";

type KernelFn = (
  data: number, stride: number, d: number, w: number, y: number, params: number, k: number,
  scratch: number, out: number, start: number, end: number,
) => void;

const { memory, index } = workerData as { memory: WasmMemory; index: number };
const instances = new Map<string, WasmInstance>();
const port = parentPort!;

function run(msg: RunMessage): void {
  const instance = instances.get(msg.module);
  if (!instance) throw new Error(`kernel module ${msg.module} was not sent to worker ${index}`);
  const fn = instance.exports[msg.fn] as KernelFn | undefined;
  if (typeof fn !== "function") throw new Error(`kernel ${msg.fn} is missing from ${msg.module}`);
  const buf = memory.buffer;
  // A view of the shared memory older than the main thread's would make the kernel trap with
  // "memory access out of bounds" (see KernelPool's start-up): say so plainly instead.
  if (buf.byteLength < msg.bytes) throw new Error(`worker ${index} sees ${buf.byteLength} bytes of the shared memory, the pool ${msg.bytes}: its view of the memory is stale`);
  const counter = new Int32Array(buf, msg.counter, 1);
  const f64 = new Float64Array(buf);
  const scratch = msg.scratch + index * msg.scratchBytes;
  const { data, stride, d, w, y, params, k } = msg;
  for (;;) {
    const b = Atomics.add(counter, 0, 1);
    if (b >= msg.blocks) break;
    const out = msg.out + b * msg.outLen * 8;
    f64.fill(0, out / 8, out / 8 + msg.outLen);
    const start = b * msg.blockRows;
    const end = Math.min(msg.rows, start + msg.blockRows);
    for (let s = start; s < end; s += msg.chunkRows) {
      fn(data, stride, d, w, y, params, k, scratch, out, s, Math.min(end, s + msg.chunkRows));
    }
  }
}

port.postMessage({ type: "ready" } satisfies FromWorker);

port.on("message", (msg: ToWorker) => {
  if (msg.type === "module") {
    instances.set(msg.key, new Wasm.Instance(msg.module, { env: { memory } }));
    return;
  }
  let reply: FromWorker;
  try {
    run(msg);
    reply = { type: "done", id: msg.id };
  } catch (e) {
    reply = { type: "error", id: msg.id, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
