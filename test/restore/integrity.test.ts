/**
 * Record integrity: the guardian's writers file a KMS HMAC beside each record, and the cluster-access
 * function restores only records whose MAC it verifies (moto's KMS GenerateMac/VerifyMac, moto's S3). A
 * record planted straight into the bucket, altered in place, or carrying a MAC over other content or made
 * with another key is refused, and the refusal names the record and says it was not written by the guardian;
 * it is recorded and announced, and the cluster is not touched. The same records cannot make their planter a
 * default restore operator.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IntegrityBlobStore } from "../../lambda/adapters/integrity-blob-store.js";
import { KmsMac } from "../../lambda/adapters/kms-mac.js";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import type { AccessRecord } from "../../lambda/core/access-store.js";
import {
  contentDigest,
  macKey,
  macMessage,
  macObject,
  RecordIntegrityError,
} from "../../lambda/core/integrity.js";
import type { BlobStore } from "../../lambda/core/ports.js";
import type { FakeStsIdentity } from "../support/fake-sts.js";
import { createIntegrityKey, drainQueue } from "../support/moto.js";
import { clusterAccessAwsForSuite, restoreRigForEachTest } from "../support/restore-rig.js";
import { ONCALL, provenInvoke } from "./cluster-access.js";
import { ACCOUNT, CLUSTER, ESCALATED_DATA, GOOD_DATA, versionRecord } from "./fixtures.js";

/** Named in RESTORE_OPERATORS. */
const SRE: FakeStsIdentity = {
  accessKeyId: "AKIDSRE",
  secretAccessKey: "sre-secret",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/sre-restore/alice`,
};
/** Has s3:PutObject on the bucket somehow (a break-glass role, a policy mistake) and wants cluster admin. */
const MALLORY: FakeStsIdentity = {
  accessKeyId: "AKIDMALLORY",
  secretAccessKey: "mallory-secret",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/developer/mallory`,
};
const MALLORY_ROLE = `arn:aws:iam::${ACCOUNT}:role/developer`;
/** GOOD_DATA with Mallory's role mapped to system:masters: what she would like restored. */
const PLANTED_DATA: Record<string, string> = {
  ...GOOD_DATA,
  mapRoles: `${GOOD_DATA.mapRoles}- rolearn: ${MALLORY_ROLE}\n  username: mallory\n  groups:\n    - system:masters\n`,
};
const PLANTED_ID = "00000000000000000099-planted";
const PLANTED_KEY = `clusters/${CLUSTER}/versions/${PLANTED_ID}.json`;

describe("the record MAC store (moto KMS, a folder store)", () => {
  const aws = clusterAccessAwsForSuite("integrity-unit-alerts");
  let dir: string;
  let folder: LocalBlobStore;
  let mac: KmsMac;

  beforeAll(() => {
    mac = new KmsMac(aws().kms, aws().integrityKeyId);
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "integrity-"));
    folder = new LocalBlobStore(dir);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Records the order of writes reaching the inner store. */
  function recording(inner: BlobStore, writes: string[]): BlobStore {
    return {
      get: (key) => inner.get(key),
      putIfAbsent: (key, body) => {
        writes.push(key);
        return inner.putIfAbsent(key, body);
      },
      putIfMatch: (key, body, etag) => {
        writes.push(key);
        return inner.putIfMatch(key, body, etag);
      },
      delete: (key) => inner.delete(key),
      list: (prefix) => inner.list(prefix),
      locate: (key) => inner.locate(key),
    };
  }

  it("files the MAC before the record, only for records a restore decides on, and lists no MAC", async () => {
    // Prepare
    const writes: string[] = [];
    const store = new IntegrityBlobStore(recording(folder, writes), { signer: mac, verifier: mac });
    const body = '{"kind":"version"}\n';

    // Act
    await store.putIfAbsent(PLANTED_KEY, body);
    await store.putIfAbsent(`clusters/${CLUSTER}/latest.json`, "{}\n");
    await store.putIfAbsent(`clusters/${CLUSTER}/access/cluster.json`, '{"cluster":"prod"}\n');

    // Assess
    expect(writes).toEqual([
      macKey(PLANTED_KEY, contentDigest(body)),
      PLANTED_KEY,
      `clusters/${CLUSTER}/latest.json`,
      macKey(`clusters/${CLUSTER}/access/cluster.json`, contentDigest('{"cluster":"prod"}\n')),
      `clusters/${CLUSTER}/access/cluster.json`,
    ]);
    expect(await store.list("")).toEqual([
      `clusters/${CLUSTER}/access/cluster.json`,
      `clusters/${CLUSTER}/latest.json`,
      PLANTED_KEY,
    ]);
    expect((await store.get(PLANTED_KEY))?.body).toBe(body);
  });

  it("fails: a record written without the store (no MAC) is refused, naming it", async () => {
    // Prepare
    await folder.putIfAbsent(PLANTED_KEY, "{}\n");
    const store = new IntegrityBlobStore(folder, { verifier: mac });

    // Act
    const reading = store.get(PLANTED_KEY);

    // Assess
    await expect(reading).rejects.toThrow(RecordIntegrityError);
    await expect(reading).rejects.toThrow(
      `record ${folder.locate(PLANTED_KEY)} refused: no guardian MAC exists for its content. Its integrity cannot be verified as the guardian's own: it was not written by the guardian`,
    );
  });

  it("fails: a record altered after it was signed has no MAC for its new content", async () => {
    // Prepare
    const store = new IntegrityBlobStore(folder, { signer: mac, verifier: mac });
    await store.putIfAbsent(PLANTED_KEY, '{"class":"dangerous"}\n');
    const current = await folder.get(PLANTED_KEY);
    await folder.putIfMatch(PLANTED_KEY, '{"class":"routine"}\n', current?.etag ?? "");

    // Act / Assess
    await expect(store.get(PLANTED_KEY)).rejects.toThrow("no guardian MAC exists for its content");
  });

  it("fails: a MAC made with another HMAC key (the planter's own) is refused by VerifyMac", async () => {
    // Prepare
    const theirs = new KmsMac(aws().kms, await createIntegrityKey(aws().kms));
    const body = '{"planted":true}\n';
    const digest = contentDigest(body);
    await folder.putIfAbsent(PLANTED_KEY, body);
    await folder.putIfAbsent(
      macKey(PLANTED_KEY, digest),
      macObject(PLANTED_KEY, digest, await theirs.generateMac(macMessage(PLANTED_KEY, digest))),
    );
    const store = new IntegrityBlobStore(folder, { verifier: mac });

    // Act / Assess
    await expect(store.get(PLANTED_KEY)).rejects.toThrow(
      "its MAC is not the guardian's MAC of this key and content",
    );
  });

  it("fails: the guardian's MAC of a record moved to another key does not verify there", async () => {
    // Prepare: a genuine record, copied with its MAC to a key that would make it another cluster's.
    const store = new IntegrityBlobStore(folder, { signer: mac, verifier: mac });
    const body = '{"kind":"version"}\n';
    await store.putIfAbsent(PLANTED_KEY, body);
    const moved = "clusters/other/versions/00000000000000000099-planted.json";
    const digest = contentDigest(body);
    const genuine = JSON.parse((await folder.get(macKey(PLANTED_KEY, digest)))?.body ?? "{}") as {
      mac: string;
    };
    await folder.putIfAbsent(moved, body);
    await folder.putIfAbsent(macKey(moved, digest), macObject(moved, digest, genuine.mac));

    // Act / Assess
    await expect(store.get(moved)).rejects.toThrow(
      "its MAC is not the guardian's MAC of this key and content",
    );
  });

  it("replaces a bogus MAC object planted ahead of a genuine write, so the genuine record still verifies", async () => {
    // Prepare
    const body = '{"kind":"version"}\n';
    await folder.putIfAbsent(macKey(PLANTED_KEY, contentDigest(body)), "not a mac\n");
    const store = new IntegrityBlobStore(folder, { signer: mac, verifier: mac });

    // Act
    await store.putIfAbsent(PLANTED_KEY, body);

    // Assess
    expect((await store.get(PLANTED_KEY))?.body).toBe(body);
  });

  it("without a verifier reads pass through: history and capture keep working over unsigned records", async () => {
    // Prepare
    await folder.putIfAbsent(PLANTED_KEY, "{}\n");
    const store = new IntegrityBlobStore(folder, { signer: mac });

    // Act / Assess
    expect((await store.get(PLANTED_KEY))?.body).toBe("{}\n");
  });
});

describe("the cluster-access function restores only the guardian's own records (moto S3/SNS/KMS, in-test STS)", () => {
  const rig = restoreRigForEachTest(clusterAccessAwsForSuite("integrity-alerts", [SRE, MALLORY]));

  /** Mallory's record, written straight to the bucket, and the last-good pointer moved to it. */
  async function plant(): Promise<string> {
    const body = `${JSON.stringify(versionRecord(PLANTED_ID, PLANTED_DATA), null, 2)}\n`;
    await rig.put(PLANTED_KEY, body);
    await rig.put(
      `clusters/${CLUSTER}/last-good.json`,
      JSON.stringify({
        id: PLANTED_ID,
        key: PLANTED_KEY,
        class: "routine",
        time: "2026-01-01T00:00:00.000Z",
      }),
    );
    return body;
  }

  it("restores a genuine record: the baseline the function captured and signed", async () => {
    // Act
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      SRE,
    )({ action: "restore", cluster: CLUSTER, to: rig.baselineId });

    // Assess
    expect(result).toMatchObject({ outcome: "restored", target: rig.baselineId });
    expect(rig.server.object()?.data).toStrictEqual(GOOD_DATA);
    const listed = await rig.aws.s3.send(
      new ListObjectsV2Command({ Bucket: rig.bucket, Prefix: "integrity/" }),
    );
    expect((listed.Contents ?? []).map((o) => o.Key)).toContain(
      macKey(
        `clusters/${CLUSTER}/versions/${rig.baselineId}.json`,
        contentDigest(await rig.read(`clusters/${CLUSTER}/versions/${rig.baselineId}.json`)),
      ),
    );
  });

  it("fails: a planted record is refused even to a forcing operator, named, recorded and announced", async () => {
    // Prepare
    await plant();

    // Act
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      SRE,
    )({ action: "restore", cluster: CLUSTER, force: true });

    // Assess
    expect(result).toMatchObject({ operation: "restore", outcome: "refused", action: "none" });
    const refusal = (result as { refusal?: string[] }).refusal?.[0] ?? "";
    expect(refusal).toBe(
      `record s3://${rig.bucket}/${PLANTED_KEY} refused: no guardian MAC exists for its content. Its integrity cannot be verified as the guardian's own: it was not written by the guardian (planted, altered, or written before record MACs existed), so a restore will not use it`,
    );
    expect(rig.server.requests.slice(rig.before)).toEqual([]);
    expect(rig.server.object()?.data).toStrictEqual(ESCALATED_DATA);
    expect(await rig.records(`clusters/${CLUSTER}/restores/`)).toEqual([
      expect.objectContaining({ outcome: "refused", detail: refusal }),
    ]);
    const messages = await drainQueue(rig.aws.sqs, rig.aws.queueUrl);
    expect(messages.map((m) => m.Subject)).toEqual([
      expect.stringContaining(`[aws-auth RESTORE REFUSED] ${CLUSTER}: record s3://${rig.bucket}/`),
    ]);
    expect(messages[0]?.Message).toContain("was not written by the guardian");
  });

  it("fails: a planted record is refused at the dry run too, and announced there", async () => {
    // Prepare
    await plant();

    // Act
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      SRE,
    )({ action: "restore", cluster: CLUSTER, dryRun: true });

    // Assess
    expect(result).toMatchObject({ outcome: "refused", dryRun: true });
    expect((await drainQueue(rig.aws.sqs, rig.aws.queueUrl)).map((m) => m.Subject)).toEqual([
      expect.stringContaining("[aws-auth RESTORE REFUSED]"),
    ]);
  });

  it("fails: a planted record carrying the MAC of other content (the genuine baseline's) is refused", async () => {
    // Prepare
    const body = await plant();
    const baselineKey = `clusters/${CLUSTER}/versions/${rig.baselineId}.json`;
    const genuine = JSON.parse(
      await rig.read(macKey(baselineKey, contentDigest(await rig.read(baselineKey)))),
    ) as {
      mac: string;
    };
    const digest = contentDigest(body);
    await rig.put(macKey(PLANTED_KEY, digest), macObject(PLANTED_KEY, digest, genuine.mac));

    // Act
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      SRE,
    )({ action: "restore", cluster: CLUSTER, to: PLANTED_ID, force: true });

    // Assess
    expect((result as { refusal?: string[] }).refusal?.[0]).toContain(
      "refused: its MAC is not the guardian's MAC of this key and content. Its integrity cannot be verified as the guardian's own: it was not written by the guardian",
    );
    expect(rig.server.object()?.data).toStrictEqual(ESCALATED_DATA);
  });

  it("fails: a genuine record altered in place is refused", async () => {
    // Prepare: the baseline's own bytes rewritten with Mallory's mapping.
    const baselineKey = `clusters/${CLUSTER}/versions/${rig.baselineId}.json`;
    const record = JSON.parse(await rig.read(baselineKey)) as { configMap: { data: Record<string, string> } };
    record.configMap.data = PLANTED_DATA;
    await rig.put(baselineKey, `${JSON.stringify(record, null, 2)}\n`);

    // Act
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      SRE,
    )({ action: "restore", cluster: CLUSTER, to: rig.baselineId });

    // Assess
    expect((result as { refusal?: string[] }).refusal?.[0]).toContain(
      `record s3://${rig.bucket}/${baselineKey} refused: no guardian MAC exists for its content`,
    );
    expect(rig.server.object()?.data).toStrictEqual(ESCALATED_DATA);
  });

  it("fails: a planted last good version does not make its planter a default restore operator", async () => {
    // Prepare
    await plant();

    // Act
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      MALLORY,
    )({ action: "restore", cluster: CLUSTER });

    // Assess
    expect(result).toMatchObject({ outcome: "refused" });
    expect((result as { refusal?: string[] }).refusal?.[0]).toContain(
      `${MALLORY.arn} may not restore on ${CLUSTER}: not a configured restore operator, and there is no last good version to name the cluster's admins (the last good version cannot be read: record s3://${rig.bucket}/${PLANTED_KEY} refused`,
    );
    expect(await rig.records(`clusters/${CLUSTER}/restores/`)).toEqual([
      expect.objectContaining({ unauthorized: true, by: MALLORY.arn }),
    ]);
  });

  it("fails: a planted fact sheet naming the planter as the cluster's creator makes nobody a creator", async () => {
    // Prepare
    await rig.put(
      `clusters/${CLUSTER}/access/cluster.json`,
      JSON.stringify({ cluster: CLUSTER, at: "2026-01-01T00:00:00.000Z", creator: MALLORY_ROLE }),
    );

    // Act
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      MALLORY,
    )({ action: "restore-access-entries", cluster: CLUSTER });

    // Assess
    expect((result as { refusals?: string[] }).refusals?.[0]).toContain(
      `${MALLORY.arn} may not restore-access-entries on ${CLUSTER}: not a configured restore operator, and holds no system:masters mapping`,
    );
  });

  it("fails: a planted access record is refused for an access-entry restore, and announced", async () => {
    // Prepare
    const id = "20260101T000000000Z-planted";
    const record: AccessRecord = {
      kind: "access",
      id,
      cluster: CLUSTER,
      time: "2026-01-01T00:00:00.000Z",
      state: "verified",
      picture: {
        authenticationMode: "API_AND_CONFIG_MAP",
        entries: [
          {
            principalArn: MALLORY_ROLE,
            type: "STANDARD",
            kubernetesGroups: [],
            policies: [
              {
                policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                accessScope: { type: "cluster", namespaces: [] },
              },
            ],
          },
        ],
      } as unknown as NonNullable<AccessRecord["picture"]>,
      class: "routine",
      findings: [],
      good: true,
    };
    const key = `clusters/${CLUSTER}/access/versions/${id}.json`;
    await rig.put(key, `${JSON.stringify(record, null, 2)}\n`);
    await rig.put(
      `clusters/${CLUSTER}/access/last-good.json`,
      JSON.stringify({ id, time: record.time, class: "routine" }),
    );

    // Act: the cluster's admin asks for the last good access entries.
    const result = await provenInvoke(
      rig.handler,
      rig.aws.sts,
      ONCALL,
    )({ action: "restore-access-entries", cluster: CLUSTER });

    // Assess
    expect(result).toMatchObject({ operation: "restore-access-entries", outcome: "refused", done: [] });
    expect((result as { refusals: string[] }).refusals[0]).toContain(
      `record s3://${rig.bucket}/${key} refused: no guardian MAC exists for its content. Its integrity cannot be verified as the guardian's own: it was not written by the guardian`,
    );
    expect(await rig.records(`clusters/${CLUSTER}/access/restores/`)).toEqual([
      expect.objectContaining({ outcome: "refused" }),
    ]);
    expect((await drainQueue(rig.aws.sqs, rig.aws.queueUrl)).map((m) => m.Subject)).toEqual([
      expect.stringContaining(`[access-entry RESTORE REFUSED] ${CLUSTER}: record s3://${rig.bucket}/`),
    ]);
  });
});
