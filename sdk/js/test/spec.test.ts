// Kernel specs: the canonical JSON the registry stores (as the engine computes it), the kind numbering,
// the shape guard, and the spec examples of docs/kernel-spec.examples.json when present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, stringToHex } from "viem";
import { canonicalSpec, isKernelSpec, kernelKindIds, kernelKindOf, specHash, type KernelSpec } from "../src/index.js";
import { repoRoot } from "./support/krnld.js";

// The example's three specs (examples/rwa-did/world.mjs), checked against KernelSpec by tsc.
const approval = {
  kind: "evm-read",
  chainId: 31338,
  to: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
  function: "isApproved(address,uint256)",
  args: ["$sender", "$args[0]"],
  outputs: ["bool"],
} as const satisfies KernelSpec;
const metadata = {
  kind: "http",
  method: "GET",
  url: "http://127.0.0.1:9000/assets/{{$args[0]}}",
  outputs: [{ path: "$.status", type: "string" }],
  timeoutMs: 5000,
} as const satisfies KernelSpec;
const compute = {
  kind: "evm-compute",
  code: "0x60003560005260206000f3",
  function: "f(uint256)",
  args: ["$args[0]"],
  outputs: ["uint256"],
  gas: 50_000,
} as const satisfies KernelSpec;

/** The example's own canonical form (world.mjs), for comparison. */
const reference = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(reference).join(",")}]`
    : v && typeof v === "object"
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`)
          .join(",")}}`
      : JSON.stringify(v);

test("canonicalSpec sorts keys at every level, without whitespace", () => {
  assert.equal(
    canonicalSpec(metadata),
    '{"kind":"http","method":"GET","outputs":[{"path":"$.status","type":"string"}],"timeoutMs":5000,"url":"http://127.0.0.1:9000/assets/{{$args[0]}}"}',
  );
  for (const spec of [approval, metadata, compute]) assert.equal(canonicalSpec(spec), reference(spec));
  assert.equal(specHash(approval), keccak256(stringToHex(canonicalSpec(approval))));
});

test("canonicalSpec escapes as the engine does and refuses fractional numbers", () => {
  const spec: KernelSpec = { kind: "http", method: "GET", url: "http://x/", headers: { "X-A": 'q"\\\n\u0001é' }, outputs: [] };
  assert.equal(canonicalSpec(spec), '{"headers":{"X-A":"q\\"\\\\\\n\\u0001é"},"kind":"http","method":"GET","outputs":[],"url":"http://x/"}');
  assert.throws(() => canonicalSpec({ ...compute, gas: 1.5 }), /gas: 1.5 is not an integer/);
  // Keys sort by UTF-8 bytes: "Z" (0x5a) before "a" (0x61) before "é" (0xc3 0xa9).
  const keys: KernelSpec = { kind: "http", method: "GET", url: "http://x/", query: { é: "1", a: "2", Z: "3" }, outputs: [] };
  assert.match(canonicalSpec(keys), /"query":\{"Z":"3","a":"2","é":"1"\}/);
  // Optional fields left undefined are not written.
  assert.equal(canonicalSpec({ ...metadata, timeoutMs: undefined } as KernelSpec).includes("timeoutMs"), false);
});

test("kind numbering matches the registry's uint8 kind", () => {
  assert.deepEqual(kernelKindIds, { "evm-read": 0, http: 1, "evm-compute": 2 });
  assert.equal(kernelKindOf(2), "evm-compute");
  assert.equal(kernelKindOf(3), undefined);
});

test("isKernelSpec accepts the three shapes and refuses unknown fields and wrong types", () => {
  for (const spec of [approval, metadata, compute]) assert.equal(isKernelSpec(spec), true, spec.kind);
  assert.equal(isKernelSpec({ ...approval, extra: 1 }), false);
  assert.equal(isKernelSpec({ ...approval, chainId: "31338" }), false);
  assert.equal(isKernelSpec({ ...metadata, method: "PUT" }), false);
  assert.equal(isKernelSpec({ ...compute, inputs: ["uint256"] }), false, "function and inputs together");
  assert.equal(isKernelSpec({ kind: "wasm" }), false);
  assert.equal(isKernelSpec(null), false);
});

/** The specs an examples file lists as valid, whatever its layout ({valid: [...]}, [{spec, valid}], or [spec]). */
function validExamples(doc: unknown): unknown[] {
  const unwrap = (e: unknown): unknown => (e && typeof e === "object" && "spec" in e ? (e as { spec: unknown }).spec : e);
  const isValid = (e: unknown): boolean => !(e && typeof e === "object" && "valid" in e && (e as { valid: unknown }).valid === false);
  if (Array.isArray(doc)) return doc.filter(isValid).map(unwrap);
  if (doc && typeof doc === "object") {
    const o = doc as Record<string, unknown>;
    if (Array.isArray(o["valid"])) return o["valid"].map(unwrap);
    if (Array.isArray(o["examples"])) return validExamples(o["examples"]);
  }
  return [];
}

test("every valid example of docs/kernel-spec.examples.json is a KernelSpec", (t) => {
  const file = join(repoRoot, "docs/kernel-spec.examples.json");
  if (!existsSync(file)) {
    t.skip("docs/kernel-spec.examples.json does not exist yet");
    return;
  }
  const examples = validExamples(JSON.parse(readFileSync(file, "utf8")));
  assert.ok(examples.length > 0, "the file lists valid examples");
  for (const [i, spec] of examples.entries()) {
    assert.equal(isKernelSpec(spec), true, `example ${i}: ${JSON.stringify(spec).slice(0, 200)}`);
    canonicalSpec(spec as KernelSpec);
  }
});
