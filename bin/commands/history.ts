/**
 * Reading the snapshot store: `history` (every version of a cluster's aws-auth, who wrote it and how
 * it was judged), `show VERSION` (one record and its data, exactly as stored) and `diff A B` (what
 * changes for the authenticator between two versions). With `--access-entries`, the same for the cluster's
 * access-entry records (access-history.ts).
 */
import { diffLines } from "../../lambda/core/alert.js";
import { modelOf } from "../../lambda/core/classify.js";
import { diffModels } from "../../lambda/core/diff.js";
import { literal, oneLine, option, quoted, shellCommand, token } from "../../lambda/core/encode.js";
import type { VersionRecord } from "../../lambda/core/records.js";
import { printHistoryRows, printRestores } from "./history-table.js";
import { type CommandDeps, type CommandRun, UsageError } from "./io.js";
import { clusterInStore, type OpenedStore, openStore } from "./store-location.js";

export interface StoreOptions {
  store?: string;
  cluster?: string;
  region?: string;
  json?: boolean;
  /** The access-entry records instead of the aws-auth versions. */
  accessEntries?: boolean;
}

async function openFor(
  values: StoreOptions,
  deps: CommandDeps,
): Promise<{ opened: OpenedStore; cluster: string }> {
  if (!values.store) throw new UsageError("--store s3://BUCKET[/prefix] or --store DIR is required");
  const opened = await openStore(values.store, {
    region: values.region,
    ...(deps.env ? { env: deps.env } : {}),
  });
  return { opened, cluster: await clusterInStore(opened, values.cluster) };
}

/** Who wrote a record, on one line: the name is the writer's own text. */
export function actorOf(record: VersionRecord): string {
  if (record.audit) {
    const actor = record.audit.actor;
    return `${oneLine(actor.canonicalArn ?? actor.arn ?? actor.username, 300)} (${oneLine(record.audit.verb, 40)})`;
  }
  if (record.capture) return `captured: ${oneLine(record.capture.reason, 300)}`;
  return "?";
}

async function resolveOrFail(opened: OpenedStore, cluster: string, name: string): Promise<VersionRecord> {
  const record = await opened.store.resolve(cluster, name);
  if (!record) {
    throw new UsageError(
      `no version ${quoted(name, 200)} of cluster ${cluster} in ${opened.location}; see: ${shellCommand([literal("aws-auth-guardian history"), ...option("--cluster", cluster), ...option("--store", opened.location)])}`,
    );
  }
  return record;
}

export const historyCommand: CommandRun<StoreOptions> = async ({ options: values, io, deps }) => {
  const { opened, cluster } = await openFor(values, deps);
  if (values.accessEntries) {
    return (await import("./access-history.js")).accessHistory(opened, cluster, io, values.json);
  }
  const { store } = opened;
  const ids = await store.listIds(cluster);
  const records: VersionRecord[] = [];
  for (const id of ids) {
    const record = await store.getRecord(cluster, id);
    if (record) records.push(record);
  }
  const latest = await store.getPointer(cluster, "latest");
  const lastGood = await store.getPointer(cluster, "last-good");
  const restores = await store.listRestores(cluster);
  if (values.json) {
    const versions = records.map((r) => ({
      id: r.id,
      kind: r.kind,
      time: r.time,
      ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}),
      actor: actorOf(r),
      class: r.class,
      findings: r.findings.map((f) => f.id),
    }));
    io.out(
      `${JSON.stringify({ cluster, store: opened.location, versions, latest: latest?.id, lastGood: lastGood?.id, restores }, null, 2)}\n`,
    );
    return 0;
  }
  io.out(
    `Cluster ${cluster} in ${opened.location}: ${records.length} record${records.length === 1 ? "" : "s"}\n`,
  );
  if (records.length === 0) return 0;
  printHistoryRows(
    io,
    records.map((r) => ({ id: r.id, time: r.time, kind: r.kind, class: r.class, actor: actorOf(r) })),
    "KIND",
    { latest: latest?.id, lastGood: lastGood?.id },
  );
  printRestores(io, restores, (r) =>
    r.resourceVersionWritten ? `, resourceVersion ${r.resourceVersionWritten}` : "",
  );
  return 0;
};

export const showCommand: CommandRun<StoreOptions> = async ({ args, options: values, io, deps }) => {
  const { opened, cluster } = await openFor(values, deps);
  if (values.accessEntries) {
    return (await import("./access-history.js")).accessShow(
      opened,
      cluster,
      args[0] as string,
      io,
      values.json,
    );
  }
  const record = await resolveOrFail(opened, cluster, args[0] as string);
  if (values.json) {
    io.out(`${JSON.stringify(record, null, 2)}\n`);
    return 0;
  }
  // Every field but the data is one line each: what writers put in names and URIs cannot add lines.
  io.out(`Version ${oneLine(record.id)} of ${cluster} (${record.kind}, ${record.class})\n`);
  io.out(`Time:    ${oneLine(record.time)}\n`);
  if (record.resourceVersion) io.out(`resourceVersion: ${oneLine(record.resourceVersion)}\n`);
  io.out(`Actor:   ${actorOf(record)}\n`);
  if (record.audit)
    io.out(`Audit:   ${oneLine(record.audit.auditID)} (${oneLine(record.audit.requestURI, 2000)})\n`);
  if (record.predecessorId) io.out(`After:   ${oneLine(record.predecessorId)}\n`);
  if (record.findings.length) {
    io.out("Findings:\n");
    for (const f of record.findings) io.out(`  [${f.severity}] ${oneLine(f.id)}: ${oneLine(f.message)}\n`);
  }
  if (!record.configMap) {
    io.out(
      `No content: this record ${record.kind === "tombstone" ? "is a deletion" : "is a write whose content was never seen"}.\n`,
    );
    return 0;
  }
  const { data } = record.configMap;
  const { labels, annotations } = record.configMap.metadata;
  if (labels) io.out(`Labels:  ${JSON.stringify(labels)}\n`);
  if (annotations)
    io.out(
      `Annotations: ${Object.keys(annotations)
        .map((k) => token(k))
        .join(", ")}\n`,
    );
  io.out("Data (exactly as stored):\n");
  for (const [key, value] of Object.entries(data ?? {})) {
    io.out(
      `--- ${token(key)} (${value.length} characters)\n${value}${value.endsWith("\n") || value === "" ? "" : "\n"}`,
    );
  }
  if (!data || Object.keys(data).length === 0) io.out("  (no data)\n");
  return 0;
};

export const diffCommand: CommandRun<StoreOptions> = async ({ args, options: values, io, deps }) => {
  const [from, to] = args as [string, string];
  const { opened, cluster } = await openFor(values, deps);
  if (values.accessEntries) {
    return (await import("./access-history.js")).accessDiff(opened, cluster, from, to, io, values.json);
  }
  const [a, b] = await Promise.all([
    resolveOrFail(opened, cluster, from),
    resolveOrFail(opened, cluster, to),
  ]);
  for (const record of [a, b]) {
    if (record.kind === "unverified") {
      throw new UsageError(
        `${record.id} is a write whose content the guardian never saw; nothing to compare`,
      );
    }
  }
  const diff = diffModels(
    a.configMap ? modelOf(a.configMap) : undefined,
    b.configMap ? modelOf(b.configMap) : undefined,
  );
  const lines = diffLines(diff);
  if (values.json) {
    io.out(
      `${JSON.stringify({ from: a.id, to: b.id, effectiveEqual: diff.effectiveEqual, equivalent: diff.equivalent, lines, diff }, null, 2)}\n`,
    );
    return 0;
  }
  io.out(`${oneLine(a.id)} → ${oneLine(b.id)}\n`);
  for (const line of lines) io.out(`  ${line}\n`);
  if (lines.length === 0)
    io.out(
      diff.equivalent
        ? "  (no change in access)\n"
        : "  (no change in access; what the authenticator ignores or drops changed)\n",
    );
  for (const p of diff.problems.added) io.out(`  ! new problem: ${p.section}: ${oneLine(p.message)}\n`);
  for (const p of diff.problems.removed) io.out(`  ! fixed: ${p.section}: ${oneLine(p.message)}\n`);
  return 0;
};
