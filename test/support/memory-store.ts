/**
 * In-test fakes for the pipeline's ports: a `BlobStore` in a Map with S3's conditional-write
 * semantics, a `Notifier` that records what it was asked to publish, and the pipeline over both.
 */
import { createHash } from "node:crypto";
import type { PipelineDeps } from "../../lambda/core/pipeline.js";
import { makePolicy } from "../../lambda/core/policy.js";
import type { BlobStore, Notifier, OutboundAlert, StoredBlob } from "../../lambda/core/ports.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { CLUSTER_ACCOUNT } from "./events.js";

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, string>();

  async get(key: string): Promise<StoredBlob | undefined> {
    const body = this.objects.get(key);
    return body === undefined ? undefined : { body, etag: etagOf(body) };
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.objects.set(key, body);
    return true;
  }

  async putIfMatch(key: string, body: string, etag: string): Promise<boolean> {
    const current = this.objects.get(key);
    if (current === undefined || etagOf(current) !== etag) return false;
    this.objects.set(key, body);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  locate(key: string): string {
    return `memory:${key}`;
  }
}

function etagOf(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

export class RecordingNotifier implements Notifier {
  readonly sent: OutboundAlert[] = [];

  async publish(alert: OutboundAlert): Promise<void> {
    this.sent.push(alert);
  }
}

/** The aws-auth pipeline over a fresh in-memory store and a recording notifier, its clock fixed, judging for CLUSTER_ACCOUNT. */
export function pipelineRig() {
  const blobs = new MemoryBlobStore();
  const notifier = new RecordingNotifier();
  const deps: PipelineDeps = {
    store: new SnapshotStore(blobs),
    notifier,
    policy: makePolicy({ clusterAccount: CLUSTER_ACCOUNT }),
    now: () => new Date("2026-11-22T15:00:00Z"),
  };
  return { blobs, notifier, deps, store: deps.store };
}
