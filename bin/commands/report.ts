/**
 * `aws-auth-guardian report --cluster C --store S -o FILE.html`: the cluster's history as one
 * self-contained HTML page (lambda/core/report.ts renders it; this reads the store and writes the file).
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type AccessRestoreRecord, AccessStore } from "../../lambda/core/access-store.js";
import { literal, shellArg, shellCommand } from "../../lambda/core/encode.js";
import type { BlobStore } from "../../lambda/core/ports.js";
import type { VersionRecord } from "../../lambda/core/records.js";
import { type AccessHistory, renderReport } from "../../lambda/core/report.js";
import { type CommandRun, UsageError } from "./io.js";
import { clusterInStore, openStore } from "./store-location.js";

export interface ReportOptions {
  store?: string;
  cluster?: string;
  region?: string;
  output?: string;
}

export const reportCommand: CommandRun<ReportOptions> = async ({ options: values, io, deps }) => {
  if (!values.store) throw new UsageError("--store s3://BUCKET[/prefix] or --store DIR is required");
  if (!values.output) throw new UsageError("-o FILE.html is required (- writes the page to stdout)");
  const opened = await openStore(values.store, {
    region: values.region,
    ...(deps.env ? { env: deps.env } : {}),
  });
  const cluster = await clusterInStore(opened, values.cluster);
  const { store } = opened;
  const versions: VersionRecord[] = [];
  for (const id of await store.listIds(cluster)) {
    const record = await store.getRecord(cluster, id);
    if (record) versions.push(record);
  }
  const access = new AccessStore(store.blobs);
  const accessIds = await access.listIds(cluster);
  let accessHistory: AccessHistory | undefined;
  if (accessIds.length > 0) {
    const records = [];
    for (const id of accessIds) {
      const record = await access.getRecord(cluster, id);
      if (record) records.push(record);
    }
    const [latest, lastGood] = await Promise.all([
      access.getPointer(cluster, "latest"),
      access.getPointer(cluster, "last-good"),
    ]);
    accessHistory = {
      records,
      restores: await accessRestores(store.blobs, cluster),
      ...(latest ? { latestId: latest.id } : {}),
      ...(lastGood ? { lastGoodId: lastGood.id } : {}),
    };
  }
  if (versions.length === 0 && !accessHistory) {
    throw new UsageError(`${opened.location} holds no record of cluster ${cluster}`);
  }
  const [latest, lastGood] = await Promise.all([
    store.getPointer(cluster, "latest"),
    store.getPointer(cluster, "last-good"),
  ]);
  const page = renderReport({
    cluster,
    storeLocation: opened.location,
    generatedAt: new Date().toISOString(),
    versions,
    restores: await store.listRestores(cluster),
    ...(latest ? { latestId: latest.id } : {}),
    ...(lastGood ? { lastGoodId: lastGood.id } : {}),
    ...(accessHistory ? { access: accessHistory } : {}),
  });
  if (values.output === "-") {
    io.out(page);
    return 0;
  }
  const file = resolve(values.output);
  await writeFile(file, page);
  const accessNote = accessHistory ? ` and ${accessHistory.records.length} access-entry records` : "";
  io.err(
    `wrote ${file}: ${versions.length} aws-auth records${accessNote} of cluster ${cluster}; open it in a browser (${shellCommand([literal("xdg-open"), file])}, or open ${shellArg(file)} on macOS)\n`,
  );
  return 0;
};

/** The access-entry restore records (clusters/<c>/access/restores/), oldest first; unreadable ones skipped. */
async function accessRestores(blobs: BlobStore, cluster: string): Promise<AccessRestoreRecord[]> {
  const records: AccessRestoreRecord[] = [];
  for (const key of await blobs.list(`clusters/${cluster}/access/restores/`)) {
    const blob = await blobs.get(key);
    try {
      if (blob) records.push(JSON.parse(blob.body) as AccessRestoreRecord);
    } catch {
      // A record that is not JSON says nothing the page could show.
    }
  }
  return records;
}
