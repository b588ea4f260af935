/**
 * Issue 2 benchmark: `analyze` throughput on a generated 100,000-event audit stream with a few
 * aws-auth writes, against plain gunzip + JSON.parse of the same bytes; and the semantic diff of an
 * aws-auth with 2,000 mappings. Prints figures; asserts nothing.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { gunzipSync, gzipSync } from "node:zlib";
import { Analyzer } from "../lambda/core/analyze.js";
import { parseAwsAuth } from "../lambda/core/aws-auth.js";
import { diffModels } from "../lambda/core/diff.js";
import { median, printTable } from "./report.js";

const LAB = new URL("../test/fixtures/audit/lab/", import.meta.url);
const EVENTS = 100_000;

function labLines(name: string): string[] {
  return readFileSync(new URL(`${name}.jsonl`, LAB), "utf8")
    .split("\n")
    .filter(Boolean);
}

/** A realistic stream: reads of many resources (the bulk of any audit log) and 7 aws-auth writes. */
export function generateStream(events = EVENTS): string {
  const templates = [
    ...labLines("s02-node-manager-update-unquoted-drop-fargate").slice(0, 1),
    ...labLines("s05-sso-admin-kubectl-edit-add-developer").slice(0, 2),
  ].map((line) => JSON.parse(line));
  const writes = [
    "s02-node-manager-update-unquoted-drop-fargate",
    "s03-fargate-manager-update-readd-fargate",
    "s04-terraform-reapply-quoted-jsonpatch",
    "s05-sso-admin-kubectl-edit-add-developer",
    "s06-escalation-smp-contractor-masters",
    "s10-intruder-delete",
    "s14-readonly-patch-forbidden",
  ].map((name) => labLines(name).find((line) => /"verb":"(update|patch|delete)"/.test(line)) ?? "");
  const resources = ["pods", "endpoints", "leases", "nodes", "events", "configmaps", "secrets", "services"];
  const every = Math.floor(events / (writes.length + 1));
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    if (i > 0 && i % every === 0 && writes[i / every - 1]) {
      lines.push(writes[i / every - 1] as string);
      continue;
    }
    const event = structuredClone(templates[i % templates.length]);
    const resource = resources[i % resources.length] as string;
    event.auditID = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    event.verb = i % 3 === 0 ? "list" : i % 3 === 1 ? "get" : "watch";
    event.objectRef = {
      resource,
      namespace: i % 2 ? "default" : "kube-system",
      name: `${resource}-${i % 97}`,
      apiVersion: "v1",
    };
    event.requestURI = `/api/v1/namespaces/${event.objectRef.namespace}/${resource}/${event.objectRef.name}`;
    lines.push(JSON.stringify(event));
  }
  return `${lines.join("\n")}\n`;
}

function time(fn: () => void, runs: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

async function timeAsync(fn: () => Promise<void>, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

function roleEntries(count: number, tweak: (i: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      `- rolearn: arn:aws:iam::012345678901:role/team-${i}\n  username: team-${i}:{{SessionName}}\n  groups:\n    - ${tweak(i)}\n    - view-only\n`,
    );
  }
  return out.join("");
}

export async function benchAnalyze(): Promise<Array<[string, string]>> {
  const stream = generateStream();
  const gz = gzipSync(Buffer.from(stream));
  const megabytes = Buffer.byteLength(stream) / 1e6;

  let writes = 0;
  const analyze = await timeAsync(async () => {
    const analyzer = new Analyzer({ policy: { clusterAccount: "012345678901" } });
    await analyzer.add(gz, "bench");
    writes = (await analyzer.finish()).writes.length;
  }, 5);
  const baseline = time(() => {
    const text = gunzipSync(gz).toString("utf8");
    for (const line of text.split("\n")) if (line) JSON.parse(line);
  }, 5);
  const analyzeMs = median(analyze);
  const baselineMs = median(baseline);

  const before = { mapRoles: roleEntries(2000, () => "developers") };
  const after = { mapRoles: roleEntries(2000, (i) => (i === 1000 ? "system:masters" : "developers")) };
  const diff = time(() => {
    diffModels(parseAwsAuth(before), parseAwsAuth(after));
  }, 7);

  return [
    [
      "stream",
      `${EVENTS} events, ${megabytes.toFixed(1)} MB (${(gz.length / 1e6).toFixed(1)} MB gzip), ${writes} aws-auth writes`,
    ],
    [
      "analyze (gzip in)",
      `${analyzeMs.toFixed(0)} ms median of 5: ${(EVENTS / (analyzeMs / 1000)).toFixed(0)} events/s, ${(megabytes / (analyzeMs / 1000)).toFixed(1)} MB/s`,
    ],
    ["gunzip + JSON.parse", `${baselineMs.toFixed(0)} ms median of 5`],
    ["analyze / baseline", `${(analyzeMs / baselineMs).toFixed(2)}×`],
    ["diff, 2,000 mappings", `${median(diff).toFixed(1)} ms median of 7 (parse both versions + diff)`],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) printTable("analyze (issue 2)", await benchAnalyze());
