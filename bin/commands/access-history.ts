/**
 * `history`, `show` and `diff` with `--access-entries`: the same store, the cluster's access-entry records
 * (`clusters/<c>/access/`) instead of its aws-auth versions. One record per access-entry call (or capture):
 * the whole access picture read back after it (mode, every entry with its policies), who made the call and
 * from where, how it was judged. The facts discovery and verify filed (mode, creator, trail) head the history.
 */
import { changeLines, diffPictures } from "../../lambda/core/access-picture.js";
import { type AccessRecord, AccessStore, trailPhrase } from "../../lambda/core/access-store.js";
import { literal, oneLine, option, quoted, shellCommand } from "../../lambda/core/encode.js";
import { entryGrant } from "../../lambda/core/explain-access.js";
import { printHistoryRows, printRestores } from "./history-table.js";
import { type CommandIo, UsageError } from "./io.js";
import type { OpenedStore } from "./store-location.js";

/** Who made the call (and what it was), or why the picture was captured; one line. */
export function accessActorOf(record: AccessRecord): string {
  const event = record.event;
  if (event) {
    const who = event.actor.principalArn ?? event.actor.arn ?? "(unknown caller)";
    const what = `${event.eventName}${event.principalArn ? ` ${event.principalArn}` : ""}${event.errorCode ? ` failed: ${event.errorCode}` : ""}`;
    return `${oneLine(who, 300)} (${oneLine(what, 400)})`;
  }
  if (record.capture) return `captured: ${oneLine(record.capture.reason, 300)}`;
  return "?";
}

async function resolveAccess(
  access: AccessStore,
  opened: OpenedStore,
  cluster: string,
  name: string,
): Promise<AccessRecord> {
  const record = await access.resolve(cluster, name);
  if (!record) {
    throw new UsageError(
      `no access-entry record ${quoted(name, 200)} of cluster ${cluster} in ${opened.location}; see: ${shellCommand([literal("aws-auth-guardian history --access-entries"), ...option("--cluster", cluster), ...option("--store", opened.location)])}`,
    );
  }
  return record;
}

export async function accessHistory(
  opened: OpenedStore,
  cluster: string,
  io: CommandIo,
  json: boolean | undefined,
): Promise<number> {
  const access = new AccessStore(opened.store.blobs);
  const records: AccessRecord[] = [];
  for (const id of await access.listIds(cluster)) {
    const record = await access.getRecord(cluster, id);
    if (record) records.push(record);
  }
  const [latest, lastGood, facts, restores] = await Promise.all([
    access.getPointer(cluster, "latest"),
    access.getPointer(cluster, "last-good"),
    access.getClusterInfo(cluster),
    access.listRestores(cluster),
  ]);
  if (json) {
    const versions = records.map((r) => ({
      id: r.id,
      time: r.time,
      state: r.state,
      class: r.class,
      actor: accessActorOf(r),
      ...(r.picture ? { mode: r.picture.authenticationMode, entries: r.picture.entries.length } : {}),
      findings: r.findings.map((f) => f.id),
      good: r.good,
    }));
    io.out(
      `${JSON.stringify({ cluster, store: opened.location, kind: "access-entries", facts, versions, latest: latest?.id, lastGood: lastGood?.id, restores }, null, 2)}\n`,
    );
    return 0;
  }
  io.out(
    `Access entries of cluster ${cluster} in ${opened.location}: ${records.length} record${records.length === 1 ? "" : "s"}\n`,
  );
  if (facts) {
    const trail = trailPhrase(facts.trail);
    io.out(
      `Facts (${oneLine(facts.at, 40)}): mode ${oneLine(facts.authenticationMode ?? "unknown", 40)}; ${trail}; creator ${facts.creator ? `${oneLine(facts.creator, 300)} (${facts.creatorSource === "cloudtrail" ? "CreateCluster in CloudTrail" : "its bootstrapped access entry"})` : "unknown"}\n`,
    );
  }
  if (records.length === 0) return 0;
  printHistoryRows(
    io,
    records.map((r) => ({ id: r.id, time: r.time, kind: r.state, class: r.class, actor: accessActorOf(r) })),
    "STATE",
    { latest: latest?.id, lastGood: lastGood?.id },
  );
  printRestores(io, restores, (r) => (r.steps ? `, ${r.steps.length} step(s)` : ""));
  return 0;
}

export async function accessShow(
  opened: OpenedStore,
  cluster: string,
  name: string,
  io: CommandIo,
  json: boolean | undefined,
): Promise<number> {
  const record = await resolveAccess(new AccessStore(opened.store.blobs), opened, cluster, name);
  if (json) {
    io.out(`${JSON.stringify(record, null, 2)}\n`);
    return 0;
  }
  io.out(
    `Access-entry record ${oneLine(record.id)} of ${cluster} (${record.state}, ${record.class}${record.good ? ", good" : ""})\n`,
  );
  io.out(`Time:    ${oneLine(record.time)}\n`);
  io.out(`Actor:   ${accessActorOf(record)}\n`);
  const event = record.event;
  if (event) {
    const where = [
      event.actor.arn && event.actor.arn !== event.actor.principalArn ? `session ${event.actor.arn}` : "",
      event.actor.sourceIPAddress ? `source IP ${event.actor.sourceIPAddress}` : "",
      event.actor.userAgent ? `user agent ${event.actor.userAgent}` : "",
    ].filter(Boolean);
    if (where.length) io.out(`From:    ${oneLine(where.join(", "), 1000)}\n`);
    io.out(
      `Call:    ${oneLine(event.eventName)} at ${oneLine(event.eventTime)} (CloudTrail event ${oneLine(event.eventID)}, ${oneLine(event.region)})\n`,
    );
  }
  if (record.predecessorId) io.out(`After:   ${oneLine(record.predecessorId)}\n`);
  if (record.findings.length) {
    io.out("Findings:\n");
    for (const f of record.findings) io.out(`  [${f.severity}] ${oneLine(f.id)}: ${oneLine(f.message)}\n`);
  }
  if (!record.picture) {
    io.out(
      `No picture: the access entries could not be read after the call (${oneLine(record.readError ?? "unknown error")}).\n`,
    );
    return 0;
  }
  io.out(
    `Mode:    ${oneLine(record.picture.authenticationMode)}\nEntries (${record.picture.entries.length}):\n`,
  );
  for (const entry of record.picture.entries) {
    io.out(
      `  ${oneLine(entry.principalArn, 600)} (${oneLine(entry.type, 40)}): ${oneLine(entryGrant(entry), 2000)}\n`,
    );
  }
  if (record.picture.entries.length === 0) io.out("  (none)\n");
  return 0;
}

export async function accessDiff(
  opened: OpenedStore,
  cluster: string,
  from: string,
  to: string,
  io: CommandIo,
  json: boolean | undefined,
): Promise<number> {
  const access = new AccessStore(opened.store.blobs);
  const [a, b] = await Promise.all([
    resolveAccess(access, opened, cluster, from),
    resolveAccess(access, opened, cluster, to),
  ]);
  for (const record of [a, b]) {
    if (!record.picture) {
      throw new UsageError(
        `${record.id} is unverified: the access entries could not be read after that call; nothing to compare`,
      );
    }
  }
  const changes = diffPictures(a.picture, b.picture as NonNullable<AccessRecord["picture"]>);
  const lines = changeLines(changes);
  if (json) {
    io.out(
      `${JSON.stringify({ from: a.id, to: b.id, equal: changes.length === 0, lines, changes }, null, 2)}\n`,
    );
    return 0;
  }
  io.out(`${oneLine(a.id)} → ${oneLine(b.id)} (access entries)\n`);
  for (const line of lines) io.out(`  ${oneLine(line, 2000)}\n`);
  if (lines.length === 0) io.out("  (no change in access)\n");
  return 0;
}
