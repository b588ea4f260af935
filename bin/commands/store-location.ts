/**
 * `--store s3://BUCKET[/prefix]` or `--store DIR`: the snapshot store the commands read (and the
 * direct restore, capture and verify write), plus the cluster it holds when `--cluster` is left out.
 */
import { stat } from "node:fs/promises";
import { createS3Client, type Env } from "../../lambda/adapters/aws-clients.js";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import { S3BlobStore } from "../../lambda/adapters/s3-blob-store.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { UsageError } from "./io.js";

export interface OpenedStore {
  store: SnapshotStore;
  /** The store as the user should see it (`s3://bucket/prefix` or an absolute folder). */
  location: string;
  kind: "s3" | "folder";
}

export interface OpenStoreOptions {
  /** A folder store must already exist (reading commands); writing commands create it. @default true */
  mustExist?: boolean;
  /** @default process.env */
  env?: Env;
  /** Region of an S3 store. @default - the AWS SDK's */
  region?: string | undefined;
}

export function parseS3Location(spec: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(spec);
  if (!match) return undefined;
  return { bucket: match[1] ?? "", prefix: (match[2] ?? "").replace(/\/+$/, "") };
}

export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  if (spec.startsWith("s3://")) {
    const parsed = parseS3Location(spec);
    if (!parsed || parsed.bucket === "")
      throw new UsageError(`--store ${spec}: expected s3://BUCKET[/prefix]`);
    const store = new SnapshotStore(
      new S3BlobStore(
        createS3Client(options.env ?? process.env, options.region ? { region: options.region } : {}),
        parsed.bucket,
        parsed.prefix,
      ),
    );
    return {
      store,
      location: `s3://${parsed.bucket}${parsed.prefix ? `/${parsed.prefix}` : ""}`,
      kind: "s3",
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new UsageError(`--store ${spec}: only s3://BUCKET[/prefix] or a local folder are supported`);
  }
  const blobs = new LocalBlobStore(spec);
  if (options.mustExist !== false) {
    const info = await stat(blobs.root).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`--store ${spec}: no such folder`);
  }
  return { store: new SnapshotStore(blobs), location: blobs.root, kind: "folder" };
}

/** `--cluster`, or the only cluster the store holds. */
export async function clusterInStore(opened: OpenedStore, cluster: string | undefined): Promise<string> {
  if (cluster) return cluster;
  return onlyCluster(opened, await opened.store.listClusters());
}

/** The one cluster of `clusters` (the store's list); none or several is a usage error. */
export function onlyCluster(opened: OpenedStore, clusters: readonly string[]): string {
  if (clusters.length === 1 && clusters[0]) return clusters[0];
  if (clusters.length === 0) {
    throw new UsageError(`${opened.location} holds no cluster yet; pass --cluster NAME`);
  }
  throw new UsageError(
    `${opened.location} holds several clusters (${clusters.join(", ")}); pass --cluster NAME`,
  );
}
