/**
 * Issue 12 benchmark: the command line as the operator runs it, each figure a whole process, start-up
 * included, on the same files side by side:
 * - `aws-auth-guardian analyze` against a bare Node script that JSON.parses every line of the file;
 * - peak RSS of `analyze` on a ~120 MB export, plain and gzip;
 * - the cost of N and 2N aws-auth writes (linear: the 2N cost is twice the N cost);
 * - `--help`;
 * and, in-process, the semantic diff of two 2,000-mapping versions (plain, the common shape yaml11.ts reads
 * directly, and with quoted values, which the whole go-yaml port reads). Prints figures; asserts nothing.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { buildCli } from "../bin/build-cli.mjs";
import { cannotConcernAwsAuth } from "../lambda/core/audit-input.js";
import { parseAwsAuth } from "../lambda/core/aws-auth.js";
import { diffModels } from "../lambda/core/diff.js";
import { goodData, jsonl, roleEntry, updateEvent, withRoles } from "../test/support/events.js";
import { generateStream } from "./analyze.js";
import { median, printTable } from "./report.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "bin/aws-auth-guardian.mjs");
const WORK = join(tmpdir(), "aws-auth-guardian-bench");
const EVENTS = 100_000;
const RUNS = 3;

/** A plain Node script, no TypeScript: read the file (gunzip if needed), JSON.parse every line. */
const BARE_PARSE = `
const { readFileSync } = require("node:fs");
const { gunzipSync } = require("node:zlib");
let data = readFileSync(process.argv[1]);
if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
let n = 0;
for (const line of data.toString("utf8").split("\\n")) if (line) { JSON.parse(line); n++; }
`;

/**
 * Preloaded into a child: writes its peak RSS (KiB) to $BENCH_RSS_FILE when it exits. On Linux it is
 * the process image's own high-water mark (`VmHWM`): `getrusage`'s maxRSS survives `exec` and so
 * reports this bench's own size when the child was forked from it (seen: 269 MB for a child whose
 * own peak was 135 MB, once the analyze bench had grown this process).
 */
const RSS_HOOK = `data:text/javascript,${encodeURIComponent(
  'import { readFileSync, writeFileSync } from "node:fs"; process.on("exit", () => { let kib = process.resourceUsage().maxRSS; try { const m = /^VmHWM:\\s*(\\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8")); if (m) kib = Number(m[1]); } catch {} writeFileSync(process.env.BENCH_RSS_FILE, String(kib)); });',
)}`;

interface Run {
  ms: number;
  rssMb: number;
  status: number | null;
}

function run(args: string[]): Run {
  const rssFile = join(WORK, "rss");
  const start = performance.now();
  const child = spawnSync(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `--import=${RSS_HOOK}` },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  let rssMb = Number.NaN;
  try {
    rssMb = Number(readFileSync(rssFile, "utf8")) / 1024;
  } catch {
    // The child died before its exit hook.
  }
  return { ms, rssMb, status: child.status };
}

function medianRun(args: string[], runs = RUNS): Run {
  const results = Array.from({ length: runs }, () => run(args));
  return {
    ms: median(results.map((r) => r.ms)),
    rssMb: Math.max(...results.map((r) => r.rssMb)),
    status: results[0]?.status ?? null,
  };
}

/** `count` updates of aws-auth, each adding one role to the same base (constant size). */
function writesStream(count: number): string {
  const base = goodData();
  const events = Array.from({ length: count }, (_, i) =>
    updateEvent({
      auditID: `00000000-0000-4000-9000-${String(i).padStart(12, "0")}`,
      resourceVersion: String(1000 + i),
      data: withRoles(base, roleEntry(`arn:aws:iam::012345678901:role/team-${i}`, `team-${i}`, ["view"])),
    }),
  );
  return jsonl(events);
}

/** `quote` '"': rolearn and username quoted, as Terraform writes them, which the go-yaml port reads. */
function roleEntries(count: number, tweak: (i: number) => string, quote = ""): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      `- rolearn: ${quote}arn:aws:iam::012345678901:role/team-${i}${quote}\n  username: ${quote}team-${i}:{{SessionName}}${quote}\n  groups:\n    - ${tweak(i)}\n    - view-only\n`,
    );
  }
  return out.join("");
}

/** Parse both versions and diff them, 7 times in this process (the first ones cold): ms of each. */
function timeDiffs(before: Record<string, string>, after: Record<string, string>) {
  const diffs: number[] = [];
  const diffOnly: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const a = parseAwsAuth(before);
    const b = parseAwsAuth(after);
    const parsed = performance.now();
    diffModels(a, b);
    const end = performance.now();
    diffs.push(end - start);
    diffOnly.push(end - parsed);
  }
  return { diffs, diffOnly };
}

export async function benchCli(): Promise<Array<[string, string]>> {
  // The binary runs dist/cli; build it from the sources benchmarked (as npm ci does).
  await buildCli({ quiet: true });
  mkdirSync(WORK, { recursive: true });
  const plain = join(WORK, "export.jsonl");
  const gz = join(WORK, "export.jsonl.gz");
  const stream = generateStream(EVENTS);
  writeFileSync(plain, stream);
  writeFileSync(gz, gzipSync(Buffer.from(stream)));
  const megabytes = Buffer.byteLength(stream) / 1e6;
  const lines = stream.split("\n").filter(Boolean);
  const unparsed = lines.filter(cannotConcernAwsAuth).length;

  const analyze = (file: string) => [CLI, "analyze", file, "--account", "012345678901", "--format", "json"];
  const bare = medianRun(["-e", BARE_PARSE, plain]);
  const analyzed = medianRun(analyze(plain));
  const bareGz = medianRun(["-e", BARE_PARSE, gz]);
  const analyzedGz = medianRun(analyze(gz));
  const help = medianRun([CLI, "--help"], 5);

  const n = 1000;
  const empty = join(WORK, "writes-0.jsonl");
  const single = join(WORK, `writes-${n}.jsonl`);
  const double = join(WORK, `writes-${2 * n}.jsonl`);
  writeFileSync(empty, "");
  writeFileSync(single, writesStream(n));
  writeFileSync(double, writesStream(2 * n));
  const t0 = medianRun(analyze(empty)).ms;
  const t1 = medianRun(analyze(single)).ms - t0;
  const t2 = medianRun(analyze(double)).ms - t0;

  const tweak = (i: number) => (i === 1000 ? "system:masters" : "developers");
  const { diffs, diffOnly } = timeDiffs(
    { mapRoles: roleEntries(2000, () => "developers") },
    { mapRoles: roleEntries(2000, tweak) },
  );
  // The same with rolearn and username in double quotes, as hand-written files and Terraform's
  // yamlencode quote them (measured after the plain one, so the code they share is warmer).
  const quoted = timeDiffs(
    { mapRoles: roleEntries(2000, () => "developers", '"') },
    { mapRoles: roleEntries(2000, tweak, '"') },
  );
  rmSync(WORK, { recursive: true, force: true });

  const ratio = (a: Run, b: Run) => `${(a.ms / b.ms).toFixed(2)}× (goal ≥ 0.90)`;
  return [
    [
      "export",
      `${EVENTS} events, ${megabytes.toFixed(1)} MB, 7 aws-auth writes; whole processes, median of ${RUNS}`,
    ],
    ["bare JSON.parse, plain", `${bare.ms.toFixed(0)} ms, peak RSS ${bare.rssMb.toFixed(0)} MB`],
    [
      "analyze, plain",
      `${analyzed.ms.toFixed(0)} ms, peak RSS ${analyzed.rssMb.toFixed(0)} MB (goal ≤ 150 MB)`,
    ],
    ["analyze speed vs bare, plain", ratio(bare, analyzed)],
    [
      "pre-filter",
      `${unparsed} of ${lines.length} lines counted without JSON.parse (plainly events naming neither configmaps nor aws-auth)`,
    ],
    ["bare JSON.parse, gzip", `${bareGz.ms.toFixed(0)} ms, peak RSS ${bareGz.rssMb.toFixed(0)} MB`],
    [
      "analyze, gzip",
      `${analyzedGz.ms.toFixed(0)} ms, peak RSS ${analyzedGz.rssMb.toFixed(0)} MB (goal ≤ 150 MB)`,
    ],
    ["analyze speed vs bare, gzip", ratio(bareGz, analyzedGz)],
    ["analyze, empty input", `${t0.toFixed(0)} ms (start-up)`],
    [
      `${n} / ${2 * n} aws-auth writes`,
      `${t1.toFixed(0)} ms / ${t2.toFixed(0)} ms beyond start-up: ${(t1 / n).toFixed(2)} / ${(t2 / (2 * n)).toFixed(2)} ms per write, 2N/N = ${(t2 / t1).toFixed(2)} (linear: 2.00)`,
    ],
    ["--help", `${help.ms.toFixed(0)} ms median of 5 (goal < 300 ms)`],
    [
      "diff, 2,000 mappings",
      `${median(diffs).toFixed(1)} ms median of 7, parse both + diff (goal ≤ 20 ms); the diff alone ${median(diffOnly).toFixed(1)} ms`,
    ],
    [
      "diff, 2,000 quoted mappings",
      `${median(quoted.diffs).toFixed(1)} ms median of 7, parse both + diff, rolearn and username in double quotes (goal ≤ 20 ms)`,
    ],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) printTable("command line (issue 12)", await benchCli());
