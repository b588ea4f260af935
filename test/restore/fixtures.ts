/**
 * aws-auth contents and helpers shared by the restore tests. The data strings are deliberately
 * awkward (quoted and unquoted YAML, JSON, trailing blank lines) so that any re-encoding shows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import { forEksCluster } from "../../lambda/cluster/kube-aws-auth-client.js";
import { type PipelineDeps, processCapture } from "../../lambda/core/pipeline.js";
import { makePolicy } from "../../lambda/core/policy.js";
import type { AwsAuthClient, ConfigMapObject, Notifier, OutboundAlert } from "../../lambda/core/ports.js";
import type { VersionRecord } from "../../lambda/core/records.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { FakeApiServer } from "../support/fake-apiserver.js";

export const ACCOUNT = "111122223333";
export const ADMIN_TOKEN = "guardian-token";
export const CLUSTER = "prod";

export const NODE_ROLE = `arn:aws:iam::${ACCOUNT}:role/eks-node`;
export const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
export const CONTRACTOR_ROLE = `arn:aws:iam::${ACCOUNT}:role/contractor`;

const NODE_ENTRY = [
  `- "rolearn": "${NODE_ROLE}"`,
  `  "username": "system:node:{{EC2PrivateDNSName}}"`,
  `  "groups":`,
  `  - "system:bootstrappers"`,
  `  - "system:nodes"`,
  "",
].join("\n");
const ADMIN_ENTRY = [
  `- rolearn: ${ADMIN_ROLE}`,
  "  username: admin",
  "  groups:",
  "    - system:masters",
  "",
].join("\n");
const CONTRACTOR_ENTRY = [
  `- rolearn: ${CONTRACTOR_ROLE}`,
  "  username: contractor",
  "  groups:",
  "    - system:masters",
  "",
].join("\n");

/** The known-good aws-auth: a node role, an admin role, a break-glass user in JSON. */
export const GOOD_DATA: Record<string, string> = {
  mapRoles: `${NODE_ENTRY}${ADMIN_ENTRY}\n`,
  mapUsers: `[{"userarn":"arn:aws:iam::${ACCOUNT}:user/breakglass","username":"breakglass","groups":["system:masters"]}]\n`,
  mapAccounts: "[]\n",
};

/** The same mappings, written differently (unquoted, other order): effectively equal, not identical. */
export const GOOD_REWRITTEN: Record<string, string> = {
  mapRoles: `${ADMIN_ENTRY}- rolearn: ${NODE_ROLE}\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:nodes, system:bootstrappers]\n`,
  mapUsers: `- userarn: arn:aws:iam::${ACCOUNT}:user/breakglass\n  username: breakglass\n  groups: [system:masters]\n`,
  mapAccounts: "[]\n",
};

/** An escalation: a contractor role gets system:masters. */
export const ESCALATED_DATA: Record<string, string> = {
  ...GOOD_DATA,
  mapRoles: `${NODE_ENTRY}${ADMIN_ENTRY}${CONTRACTOR_ENTRY}`,
};

/** A typo that drops the whole mapRoles section (node role included). */
export const BROKEN_DATA: Record<string, string> = {
  ...GOOD_DATA,
  mapRoles: `- rolearn: ${NODE_ROLE}\n  groups: [system:bootstrappers, system:nodes\n`,
};

/** No admin and no node mapping left. */
export const GUTTED_DATA: Record<string, string> = {
  mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/viewer\n  username: viewer\n  groups: [viewers]\n`,
};

export function awsAuth(
  data: Record<string, string>,
  extra: Partial<ConfigMapObject["metadata"]> = {},
): ConfigMapObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "aws-auth", namespace: "kube-system", ...extra },
    data,
  };
}

export function versionRecord(
  id: string,
  data: Record<string, string> | undefined,
  overrides: Partial<VersionRecord> = {},
): VersionRecord {
  return {
    kind: "version",
    id,
    cluster: CLUSTER,
    time: "2026-01-01T00:00:00.000Z",
    ...(data
      ? {
          configMap: awsAuth(data, {
            uid: "11111111-2222-3333-4444-555555555555",
            resourceVersion: "42",
            creationTimestamp: "2025-12-31T00:00:00Z",
            labels: { "app.kubernetes.io/managed-by": "Terraform" },
          }),
        }
      : {}),
    class: "routine",
    findings: [],
    ...overrides,
  };
}

export class CollectingNotifier implements Notifier {
  readonly alerts: OutboundAlert[] = [];
  async publish(alert: OutboundAlert): Promise<void> {
    this.alerts.push(alert);
  }
}

export interface Rig {
  server: FakeApiServer;
  client: AwsAuthClient;
  dir: string;
  store: SnapshotStore;
  notifier: CollectingNotifier;
  pipeline: PipelineDeps;
  /** Files what the server holds now as a version, as the cluster-access function's capture would. */
  capture(reason?: string): Promise<VersionRecord>;
  /** Requests that wrote (PUT/POST) since the rig started. */
  writes(): Array<{ method: string; status: number }>;
  close(): Promise<void>;
}

/** A fake API server over TLS with its own CA, a client trusting only that CA, and a folder store. */
export async function startRig(): Promise<Rig> {
  const server = await FakeApiServer.start({
    tokens: { [ADMIN_TOKEN]: { user: "arn:aws:iam::111122223333:role/guardian", allowed: true } },
  });
  const client = forEksCluster({
    endpoint: server.url,
    caData: server.caData,
    token: ADMIN_TOKEN,
    clusterName: CLUSTER,
  });
  const dir = await mkdtemp(join(tmpdir(), "restore-store-"));
  const store = new SnapshotStore(new LocalBlobStore(dir));
  const notifier = new CollectingNotifier();
  const pipeline: PipelineDeps = { store, notifier, policy: makePolicy(), now: () => new Date() };
  return {
    server,
    client,
    dir,
    store,
    notifier,
    pipeline,
    async capture(reason = "test capture") {
      const live = server.object();
      if (!live) throw new Error("nothing to capture");
      // Setup captures alert into their own notifier, so tests see only what they act on.
      const outcome = await processCapture(
        { ...pipeline, notifier: new CollectingNotifier() },
        CLUSTER,
        live,
        reason,
      );
      const record = await store.getRecord(CLUSTER, outcome.recordId);
      if (!record) throw new Error("capture stored nothing");
      return record;
    },
    writes() {
      return server.requests
        .filter((r) => r.method === "PUT" || r.method === "POST")
        .map(({ method, status }) => ({ method, status }));
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
