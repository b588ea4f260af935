/**
 * A seeded mutation fuzzer over the recorded audit events (test/fixtures/audit). Each input is one
 * recording mutated the way an attacker or a broken transport would (byte flips, truncation at
 * every length, wrong types in every field, deep nesting, huge strings, prototype keys, malformed
 * `%`-escapes, gzip bombs, floods of bad lines), wrapped in one of the shapes the guardian reads,
 * and driven through one target:
 * - `decoder`: `decodeAuditInput` / `decodeAwsLogsEvent`;
 * - `pipeline`: the classifier's `processLogsEvent` with a real snapshot store (in memory, S3 key
 *   rules) and a recording notifier, the mutated event delivered beside a real escalation;
 * - `cli`: `analyze` run in-process through the CLI's `main`.
 * A failure is an error that escapes, a delivery failed by event content, the escalation not
 * judged, or lines lost beside a bad one. The same seed gives the same inputs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { main } from "../../bin/cli.js";
import {
  type BatchResult,
  guardBlobStore,
  guardNotifier,
  processLogsEvent,
} from "../../lambda/classifier/process-batch.js";
import { decodeAuditInput, decodeAwsLogsEvent } from "../../lambda/core/audit-input.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { MemoryBlobStore, RecordingNotifier } from "./memory-store.js";

const FIXTURES = new URL("../fixtures/audit/", import.meta.url);
export const ACCOUNT = "012345678901";
export const CLUSTER = "fuzz";

export type Target = "decoder" | "pipeline" | "cli";

export interface FuzzFailure {
  input: number;
  target: Target;
  mutation: string;
  /** Normalised: what went wrong, without the input's own values. */
  kind: string;
  detail: string;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  byTarget: Record<Target, number>;
  byMutation: Record<string, number>;
  /** Milliseconds spent per mutation. */
  msByMutation: Record<string, number>;
  failures: FuzzFailure[];
  failuresByKind: Record<string, number>;
  /** Inputs that took longer than a second (reported, not failed). */
  slow: { input: number; target: Target; mutation: string; ms: number }[];
  ms: number;
}

export interface FuzzOptions {
  seed: number;
  count: number;
  /** Called after each input (progress for long runs). */
  progress?: (done: number) => void;
}

/** mulberry32: small, fast, good enough to spread mutations; the same seed gives the same run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seed {
  name: string;
  /** The lines of the recording it came from, and which one this is. */
  file: string[];
  index: number;
  text: string;
}

function loadSeeds(): Seed[] {
  const seeds: Seed[] = [];
  for (const dir of ["lab", "public"]) {
    const url = new URL(`${dir}/`, FIXTURES);
    for (const name of readdirSync(url).sort()) {
      const text = readFileSync(new URL(name, url), "utf8");
      if (name.endsWith(".jsonl")) {
        const lines = text.split("\n").filter((l) => l.trim() !== "");
        lines.forEach((line, index) => {
          seeds.push({ name: `${dir}/${name}:${index + 1}`, file: lines, index, text: line });
        });
      } else if (name.endsWith(".json")) {
        const line = JSON.stringify(JSON.parse(text));
        seeds.push({ name: `${dir}/${name}`, file: [line], index: 0, text: line });
      } else {
        seeds.push({ name: `${dir}/${name}`, file: [text], index: 0, text });
      }
    }
  }
  return seeds;
}

function labLine(file: string, verb: string): string {
  const line = readFileSync(new URL(`lab/${file}.jsonl`, FIXTURES), "utf8")
    .split("\n")
    .find((l) => l.includes(`"verb":"${verb}"`));
  if (!line) throw new Error(`no ${verb} in ${file}`);
  return line;
}

/** The recorded writes that make the history the escalation is judged against. */
const HISTORY = [
  ["s02-node-manager-update-unquoted-drop-fargate", "update"],
  ["s03-fargate-manager-update-readd-fargate", "update"],
  ["s04-terraform-reapply-quoted-jsonpatch", "patch"],
  ["s05-sso-admin-kubectl-edit-add-developer", "patch"],
] as const;

export function awslogsEvent(messages: string[], extra: Record<string, unknown> = {}): unknown {
  const payload = {
    messageType: "DATA_MESSAGE",
    owner: ACCOUNT,
    logGroup: `/aws/eks/${CLUSTER}/cluster`,
    logStream: "kube-apiserver-audit-0123456789abcdef",
    subscriptionFilters: ["aws-auth-guardian"],
    logEvents: messages.map((message, i) => ({
      id: `3798465316518495736017896534${String(i).padStart(28, "0")}`,
      timestamp: 1_795_000_000_000 + i,
      message,
    })),
    ...extra,
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}

// ---- values an attacker or a broken transport puts where something else belongs ----

const DEPTH = 10_000;

function deepArrayText(depth = DEPTH): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

function deepObjectText(depth = DEPTH): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

const WRONG_VALUES: readonly unknown[] = [
  0,
  -1,
  209,
  1e308,
  true,
  false,
  null,
  "",
  "x",
  [],
  {},
  ["a", 1],
  { a: 1 },
  [[[]]],
  "%E0%A4%A",
];

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

const BAD_ESCAPES = ["%", "%E0%A4%A", "%ZZ", "%C0%AF", "%ED%A0%80", "%%%", "%u0041"];

/** Every path in a JSON value down to `maxDepth`, objects and arrays included. */
function pathsOf(value: unknown, maxDepth = 8): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (path.length > 0) out.push(path);
    if (path.length >= maxDepth || typeof v !== "object" || v === null) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    } else for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key], [...path, key]);
  };
  walk(value, []);
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) setAt(node, [key], {});
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  // defineProperty, not assignment: a key like "__proto__" must become an own data property.
  Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
}

function objectsOf(value: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (v: unknown, depth: number) => {
    if (typeof v !== "object" || v === null || depth > 8) return;
    if (!Array.isArray(v)) out.push(v as Record<string, unknown>);
    for (const item of Object.values(v)) walk(item, depth + 1);
  };
  walk(value, 0);
  return out;
}

const PLACEHOLDER = "\u0000FUZZ-PLACEHOLDER\u0000";

/** JSON text of `event` with the value at `path` replaced by raw JSON text. */
function withRawAt(event: unknown, path: (string | number)[], raw: string): string {
  const copy = structuredClone(event);
  setAt(copy, path, PLACEHOLDER);
  return JSON.stringify(copy).replace(JSON.stringify(PLACEHOLDER), () => raw);
}

// ---- mutations ----

export const MUTATIONS = [
  "byte-flip",
  "truncate",
  "wrong-type",
  "deep-nest",
  "huge-string",
  "proto-keys",
  "bad-percent-escape",
  "numeric-resource-version",
  "combined",
  "bomb",
  "bad-line-flood",
] as const;
export type Mutation = (typeof MUTATIONS)[number];

interface Mutated {
  mutation: Mutation;
  /** The mutated event text (one log message / line). */
  text: string;
}

class Mutator {
  private truncations = 0;

  constructor(
    readonly random: () => number,
    private readonly seeds: Seed[],
  ) {}

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  seed(): Seed {
    return this.pick(this.seeds);
  }

  private parsed(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  byteFlip(text: string): string {
    const bytes = Buffer.from(text, "utf8");
    const flips = 1 + this.int(8);
    for (let i = 0; i < flips && bytes.length > 0; i++) bytes[this.int(bytes.length)] = this.int(256);
    return bytes.toString("utf8");
  }

  /** Cut at every length in turn: the n-th truncation of a text of length L cuts at n mod (L+1). */
  truncate(text: string): string {
    const at = (this.truncations++ * 7919 + this.int(3)) % (text.length + 1);
    return text.slice(0, at) + (this.random() < 0.3 ? "[Truncated...]" : "");
  }

  wrongType(text: string): string {
    const event = this.parsed(text);
    const paths = pathsOf(event);
    if (paths.length === 0) return this.byteFlip(text);
    const copy = structuredClone(event);
    const n = 1 + this.int(3);
    for (let i = 0; i < n; i++) setAt(copy, this.pick(paths), structuredClone(this.pick(WRONG_VALUES)));
    return JSON.stringify(copy);
  }

  deepNest(text: string): string {
    const event = this.parsed(text);
    const raw = this.random() < 0.5 ? deepArrayText() : deepObjectText();
    if (event === undefined) return raw;
    if (this.random() < 0.15) return raw;
    const metadataPaths: (string | number)[][] = [
      ["responseObject", "metadata", "labels"],
      ["responseObject", "metadata", "annotations"],
      ["responseObject", "metadata", "labels", "app"],
      ["responseObject", "data", "mapRoles"],
      ["requestObject"],
      ["user", "extra"],
      ["user", "groups"],
    ];
    const paths = [...pathsOf(event), ...metadataPaths.filter(() => typeof event === "object")];
    return withRawAt(event, this.pick(paths), raw);
  }

  hugeString(text: string): string {
    const event = this.parsed(text);
    // Up to just over CloudWatch's 1 MB event limit; the larger the rarer (they are slow to build).
    const roll = this.random();
    const size = roll < 0.7 ? 16_384 : roll < 0.97 ? 131_072 : 1_100_000;
    const unit = this.pick(["a", "%", "\\n", "é", "x/../", "\u202e", " "]);
    const huge = unit.repeat(Math.ceil(size / unit.length));
    if (event === undefined) return text + huge;
    const strings = pathsOf(event).filter((p) => {
      let v: unknown = event;
      for (const k of p) v = (v as Record<string | number, unknown>)[k];
      return typeof v === "string";
    });
    const path = strings.length ? this.pick(strings) : ["auditID"];
    const copy = structuredClone(event);
    setAt(copy, path, huge);
    return JSON.stringify(copy);
  }

  protoKeys(text: string): string {
    const event = this.parsed(text);
    if (event === undefined) return `{"__proto__":{"auditID":"x","verb":"patch"},${text.slice(1)}`;
    const copy = structuredClone(event);
    const objects = objectsOf(copy);
    const n = 1 + this.int(4);
    for (let i = 0; i < n; i++) {
      const target = this.pick(objects);
      const value = this.pick<unknown>([
        { auditID: "polluted", verb: "delete", isAdmin: true },
        "polluted",
        1,
        null,
        [],
        { toString: "x" },
      ]);
      setAt(target, [this.pick(PROTO_KEYS)], value);
    }
    return JSON.stringify(copy);
  }

  badPercentEscape(text: string): string {
    const event = this.parsed(text) as Record<string, unknown> | undefined;
    const bad = this.pick(BAD_ESCAPES);
    const param = this.pick(["fieldManager", "dryRun", "force", "timeout", bad]);
    if (!event || typeof event !== "object") return text.replace("?", `?${param}=${bad}&`);
    const copy = structuredClone(event);
    const uri =
      typeof copy.requestURI === "string"
        ? copy.requestURI
        : "/api/v1/namespaces/kube-system/configmaps/aws-auth";
    copy.requestURI = `${uri}${uri.includes("?") ? "&" : "?"}${param}=${bad}`;
    return JSON.stringify(copy);
  }

  numericResourceVersion(text: string): string {
    const event = this.parsed(text) as Record<string, unknown> | undefined;
    if (!event || typeof event !== "object") return text;
    const copy = structuredClone(event) as {
      responseObject?: { metadata?: Record<string, unknown> };
      objectRef?: Record<string, unknown>;
    };
    const rv = this.pick<unknown>([209, 1e21, -1, 0.5, Number.MAX_SAFE_INTEGER, ["209"], { rv: "209" }]);
    const metadata = copy.responseObject?.metadata;
    if (typeof metadata === "object" && metadata !== null) metadata.resourceVersion = rv;
    if (typeof copy.objectRef === "object" && copy.objectRef !== null) copy.objectRef.resourceVersion = rv;
    return JSON.stringify(copy);
  }

  mutate(seed: Seed, mutation: Mutation): string {
    switch (mutation) {
      case "byte-flip":
        return this.byteFlip(seed.text);
      case "truncate":
        return this.truncate(seed.text);
      case "wrong-type":
        return this.wrongType(seed.text);
      case "deep-nest":
        return this.deepNest(seed.text);
      case "huge-string":
        return this.hugeString(seed.text);
      case "proto-keys":
        return this.protoKeys(seed.text);
      case "bad-percent-escape":
        return this.badPercentEscape(seed.text);
      case "numeric-resource-version":
        return this.numericResourceVersion(seed.text);
      case "combined": {
        const simple = [
          "byte-flip",
          "truncate",
          "wrong-type",
          "proto-keys",
          "bad-percent-escape",
          "numeric-resource-version",
        ] as const;
        return this.mutate({ ...seed, text: this.mutate(seed, this.pick(simple)) }, this.pick(simple));
      }
      default:
        return seed.text;
    }
  }

  next(): Mutated & { seed: Seed } {
    const seed = this.seed();
    const roll = this.random();
    // Bombs and floods are expensive: a few per thousand inputs.
    const mutation: Mutation =
      roll < 0.0006
        ? "bomb"
        : roll < 0.0012
          ? "bad-line-flood"
          : this.pick(MUTATIONS.filter((m) => m !== "bomb" && m !== "bad-line-flood"));
    let text: string;
    try {
      text = this.mutate(seed, mutation);
    } catch {
      // A mutation that does not apply to this (already mutated) shape: flip bytes instead.
      text = this.byteFlip(seed.text);
    }
    return { seed, mutation, text };
  }
}

// ---- bombs and floods, built once ----

let bombs: { awslogs: unknown; gzipFile: Buffer } | undefined;

/**
 * 96 MiB of padding in ~100 KiB: 96 gzip members of 1 MiB of spaces each (gunzip reads concatenated
 * members as one stream), between the JSON text around the padding. Cheap to build.
 */
export function gzipBombs(): { awslogs: unknown; gzipFile: Buffer } {
  if (!bombs) {
    const mib = gzipSync(Buffer.alloc(1024 * 1024, " "), { level: 9 });
    const padding = Array.from({ length: 96 }, () => mib);
    const head = `{"messageType":"DATA_MESSAGE","owner":"${ACCOUNT}","logGroup":"/aws/eks/${CLUSTER}/cluster","logEvents":[],"pad":"`;
    const zipped = Buffer.concat([gzipSync(head), ...padding, gzipSync('"}')]);
    bombs = {
      awslogs: { awslogs: { data: zipped.toString("base64") } },
      gzipFile: Buffer.concat([...padding, gzipSync("\n")]),
    };
  }
  return bombs;
}

/** 150k unusable lines (more than a call takes arguments), then a real write: analyze must count them all and still judge the write. */
export function badLineFlood(lines = 150_000): string {
  const bad = Array.from({ length: lines }, (_, i) =>
    i % 3 === 0 ? "{" : i % 3 === 1 ? `{"auditID":${i}}` : "not json at all",
  );
  return [...bad, labLine("s06-escalation-smp-contractor-masters", "patch")].join("\n");
}

// ---- targets ----

function kindOf(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown };
  const name = typeof e?.name === "string" ? e.name : typeof error;
  const message = typeof e?.message === "string" ? e.message : String(error);
  const normalised = message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\d+/g, "N")
    .slice(0, 90);
  return `${name}: ${normalised}`;
}

function silentTelemetry(): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: "fuzz", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "Fuzz", serviceName: "fuzz" }),
  };
}

/** A store holding the recorded history before the escalation (s02-s05), built once. */
async function seededStore(): Promise<ReadonlyMap<string, string>> {
  const blobs = new MemoryBlobStore();
  const messages = HISTORY.map(([file, verb]) => labLine(file, verb));
  await processLogsEvent(awslogsEvent(messages), {
    pipeline: {
      store: new SnapshotStore(blobs),
      notifier: new RecordingNotifier(),
      policy: makePolicy({ clusterAccount: ACCOUNT }),
      now: () => new Date("2026-11-22T13:05:00Z"),
    },
    ...silentTelemetry(),
  });
  return blobs.objects;
}

type Check = { ok: true } | { ok: false; kind: string; detail: string };

function threw(where: string, error: unknown): Check {
  return {
    ok: false,
    kind: `${where}: ${kindOf(error)}`,
    detail: String((error as Error)?.stack ?? error).slice(0, 400),
  };
}

function accounted(result: {
  writes: unknown[];
  problems: unknown[];
  irrelevant: number;
  controlMessages?: number;
}) {
  return result.writes.length + result.problems.length + result.irrelevant + (result.controlMessages ?? 0);
}

function runDecoder(mutator: Mutator, m: Mutated & { seed: Seed }): Check {
  const shape =
    m.mutation === "bomb"
      ? mutator.pick(["awslogs", "gzip-file"])
      : mutator.pick(["line", "file", "awslogs", "filter-log-events", "gzip-file"]);
  try {
    if (m.mutation === "bomb") {
      const bomb = gzipBombs();
      if (shape === "awslogs") decodeAwsLogsEvent(bomb.awslogs);
      else decodeAuditInput(bomb.gzipFile, "bomb.gz", { maxInflatedBytes: 16 * 1024 * 1024 });
      return { ok: true };
    }
    if (shape === "awslogs") {
      decodeAwsLogsEvent(awslogsEvent([m.text]));
      return { ok: true };
    }
    if (shape === "filter-log-events") {
      decodeAuditInput(
        JSON.stringify({ events: [{ eventId: "1", timestamp: 1, message: m.text }] }),
        "export.json",
      );
      return { ok: true };
    }
    if (shape === "line") {
      decodeAuditInput(m.text, "line.jsonl");
      return { ok: true };
    }
    // A whole recording with one line mutated: the other lines must all still be read.
    const lines = [...m.seed.file];
    lines[m.seed.index] = m.text;
    const body = `${lines.join("\n")}\n`;
    const result = decodeAuditInput(shape === "gzip-file" ? gzipSync(body) : body, "file.jsonl");
    const others = m.seed.file.length - 1;
    if (m.seed.file.length > 1 && accounted(result) < others) {
      return {
        ok: false,
        kind: "decoder: lines lost beside a bad one",
        detail: `${accounted(result)} of ${others}`,
      };
    }
    return { ok: true };
  } catch (error) {
    return threw("decoder threw", error);
  }
}

async function runPipeline(
  mutator: Mutator,
  m: Mutated & { seed: Seed },
  seeded: ReadonlyMap<string, string>,
  input: number,
): Promise<Check> {
  const escalation = JSON.parse(labLine("s06-escalation-smp-contractor-masters", "patch")) as Record<
    string,
    unknown
  >;
  const escalationID = `fuzz-escalation-${input}`;
  escalation.auditID = escalationID;
  const event =
    m.mutation === "bomb"
      ? gzipBombs().awslogs
      : awslogsEvent(
          mutator.random() < 0.5
            ? [m.text, JSON.stringify(escalation)]
            : [JSON.stringify(escalation), m.text],
        );
  const notifier = new RecordingNotifier();
  let result: BatchResult;
  try {
    result = await processLogsEvent(event, {
      pipeline: {
        // Guarded as in the Lambda: a store or notifier failure fails the delivery.
        store: new SnapshotStore(guardBlobStore(new MemoryBlobStore(seeded))),
        notifier: guardNotifier(notifier),
        policy: makePolicy({ clusterAccount: ACCOUNT }),
        now: () => new Date("2026-11-22T13:05:00Z"),
      },
      ...silentTelemetry(),
    });
  } catch (error) {
    return threw("delivery failed", error);
  }
  // Every write the decoder found must be judged: none may be dropped by what it contains.
  const decoded = m.mutation === "bomb" ? undefined : decodeAwsLogsEvent(event);
  const judged = new Set(result.processed.map((o) => o.auditID));
  const dropped = decoded?.writes.filter((w) => !judged.has(w.write.auditID)) ?? [];
  if (dropped.length > 0) {
    return {
      ok: false,
      kind: "pipeline: decoded write dropped",
      detail: JSON.stringify(result).slice(0, 300),
    };
  }
  if (m.mutation !== "bomb" && !judged.has(escalationID)) {
    return {
      ok: false,
      kind: "pipeline: escalation beside the bad event not judged",
      detail: JSON.stringify(result).slice(0, 300),
    };
  }
  return { ok: true };
}

async function runCli(mutator: Mutator, m: Mutated & { seed: Seed }): Promise<Check> {
  let input: Buffer;
  if (m.mutation === "bomb") input = Buffer.from(JSON.stringify(gzipBombs().awslogs));
  else if (m.mutation === "bad-line-flood") input = Buffer.from(badLineFlood());
  else {
    const lines = [...m.seed.file];
    lines[m.seed.index] = m.text;
    const shape = mutator.pick(["file", "gzip", "awslogs"]);
    const body = shape === "awslogs" ? JSON.stringify(awslogsEvent(lines)) : `${lines.join("\n")}\n`;
    input = shape === "gzip" ? gzipSync(body) : Buffer.from(body);
  }
  const err: string[] = [];
  const out: string[] = [];
  let code: number;
  try {
    code = await main(["analyze", "-", "--format", mutator.pick(["text", "json"]), "--cluster", CLUSTER], {
      out: (t) => {
        out.push(t);
      },
      err: (t) => {
        err.push(t);
      },
      readStdin: async () => input,
    });
  } catch (error) {
    return threw("cli threw", error);
  }
  const stderr = err.join("");
  const errors = stderr
    .split("\n")
    .filter((l) => l.startsWith("error:") && l !== "error: no usable audit event in the input");
  if (errors.length > 0)
    return {
      ok: false,
      kind: `cli: ${kindOf(new Error(errors[0]?.slice(7)))}`,
      detail: errors[0]?.slice(0, 300) ?? "",
    };
  if (code !== 0 && code !== 1 && code !== 2)
    return { ok: false, kind: `cli: exit ${code}`, detail: stderr.slice(0, 300) };
  if (m.mutation === "bad-line-flood") {
    const warnings = stderr.split("\n").filter((l) => l.startsWith("warning:")).length;
    // The write after the flood is judged (alone, it is the first version the timeline sees).
    if (warnings < 150_000 || !/1 writes to aws-auth|"verb":"patch"/.test(out.join("")))
      return {
        ok: false,
        kind: "cli: bad lines not all reported or the write after them not judged",
        detail: `${warnings} warnings`,
      };
  }
  return { ok: true };
}

/**
 * Which target an input goes to: the decoder gets half, the pipeline and the CLI a quarter each;
 * a flood of bad lines is an `analyze` input, so it always goes to the CLI.
 */
function targetOf(input: number, mutation: Mutation): Target {
  if (mutation === "bad-line-flood") return "cli";
  const slot = input % 4;
  return slot < 2 ? "decoder" : slot === 2 ? "pipeline" : "cli";
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const random = rng(options.seed);
  const mutator = new Mutator(random, loadSeeds());
  const seeded = await seededStore();
  const report: FuzzReport = {
    seed: options.seed,
    inputs: 0,
    byTarget: { decoder: 0, pipeline: 0, cli: 0 },
    byMutation: {},
    msByMutation: {},
    failures: [],
    failuresByKind: {},
    slow: [],
    ms: 0,
  };
  for (let input = 0; input < options.count; input++) {
    const m = mutator.next();
    const target = targetOf(input, m.mutation);
    const t0 = performance.now();
    let check: Check;
    try {
      check =
        target === "decoder"
          ? runDecoder(mutator, m)
          : target === "pipeline"
            ? await runPipeline(mutator, m, seeded, input)
            : await runCli(mutator, m);
    } catch (error) {
      check = threw(`${target} harness`, error);
    }
    const ms = performance.now() - t0;
    if (ms > 1000) report.slow.push({ input, target, mutation: m.mutation, ms: Math.round(ms) });
    report.inputs++;
    report.byTarget[target]++;
    report.byMutation[m.mutation] = (report.byMutation[m.mutation] ?? 0) + 1;
    report.msByMutation[m.mutation] = Math.round((report.msByMutation[m.mutation] ?? 0) + ms);
    if (!check.ok) {
      report.failures.push({ input, target, mutation: m.mutation, kind: check.kind, detail: check.detail });
      report.failuresByKind[check.kind] = (report.failuresByKind[check.kind] ?? 0) + 1;
    }
    options.progress?.(input + 1);
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** The report as text: counts by target, mutation and failure kind. */
export function formatReport(report: FuzzReport): string {
  const lines = [
    `seed ${report.seed}: ${report.inputs} inputs in ${(report.ms / 1000).toFixed(1)} s (decoder ${report.byTarget.decoder}, pipeline ${report.byTarget.pipeline}, cli ${report.byTarget.cli})`,
    `mutations: ${Object.entries(report.byMutation)
      .sort()
      .map(([k, v]) => `${k} ${v} (${((report.msByMutation[k] ?? 0) / 1000).toFixed(1)} s)`)
      .join(", ")}`,
    `failures: ${report.failures.length}`,
  ];
  for (const [kind, n] of Object.entries(report.failuresByKind).sort((a, b) => b[1] - a[1])) {
    const mutations = new Set(report.failures.filter((f) => f.kind === kind).map((f) => f.mutation));
    lines.push(`  ${String(n).padStart(6)}  ${kind}  [${[...mutations].sort().join(", ")}]`);
  }
  if (report.slow.length) {
    lines.push(`slow inputs (>1 s): ${report.slow.length}`);
    for (const s of report.slow.slice(0, 10))
      lines.push(`  #${s.input} ${s.target} ${s.mutation} ${s.ms} ms`);
  }
  return lines.join("\n");
}
