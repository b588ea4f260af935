/**
 * `history`, `show` and `diff` with `--access-entries`, and `explain --store` answering with access entries
 * and aws-auth together, on a folder store filed by the classifier's own access pipeline (in memory EKS).
 */
import { describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import type { AccessEvent } from "../../lambda/core/access-event.js";
import { captureAccessPicture, processAccessEvent } from "../../lambda/core/access-pipeline.js";
import { AccessStore } from "../../lambda/core/access-store.js";
import { processCapture } from "../../lambda/core/pipeline.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { awsAuth } from "../restore/fixtures.js";
import { tempDirForEachTest, writeKubeconfig } from "../support/cli-store.js";
import { FakeApiServer } from "../support/fake-apiserver.js";
import { FAKE_ACCOUNT, FAKE_REGION, FakeEks } from "../support/fake-eks.js";
import { RecordingNotifier } from "../support/memory-store.js";
import { PictureApi } from "../support/picture-api.js";
import { recordingIo, runCli as run } from "./io.js";

const ACCOUNT = "111122223333";
const CLUSTER = "prod";
const OUTSIDER = "arn:aws:iam::444455556666:role/outsider";
const PLATFORM = `arn:aws:iam::${ACCOUNT}:role/teams/Platform`;
const CREATOR = `arn:aws:iam::${ACCOUNT}:role/ClusterCreator`;
const ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

let dir: string;
tempDirForEachTest("guardian-access-", (created) => {
  dir = created;
});

/** A store as the deployed guardian leaves it: an aws-auth version, an access baseline, a foreign admin. */
async function fileHistory(): Promise<{ baseline: string; admin: string }> {
  const blobs = new LocalBlobStore(dir);
  const access = new AccessStore(blobs);
  const snapshots = new SnapshotStore(blobs);
  const notifier = new RecordingNotifier();
  const policy = makePolicy({ clusterAccount: ACCOUNT });
  let clock = Date.parse("2026-12-05T09:00:00.000Z");
  const now = () => new Date(clock);
  await processCapture(
    { store: snapshots, notifier, policy, now },
    CLUSTER,
    awsAuth({
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/Platform\n  username: platform\n  groups: [system:masters]\n`,
    }),
    "baseline",
  );
  const api = new PictureApi();
  api.set(PLATFORM, [{ policyArn: VIEW, accessScope: { type: "namespace", namespaces: ["ops"] } }]);
  const baseline = await captureAccessPicture({ store: access, api, now, policy }, CLUSTER, "baseline");
  await access.putClusterInfo({
    cluster: CLUSTER,
    at: now().toISOString(),
    authenticationMode: "API_AND_CONFIG_MAP",
    creator: CREATOR,
    creatorSource: "cloudtrail",
    trail: "recording",
  });
  api.set(OUTSIDER, [{ policyArn: ADMIN, accessScope: { type: "cluster", namespaces: [] } }]);
  clock = Date.parse("2026-12-05T09:10:05.000Z");
  const event: AccessEvent = {
    eventID: "0a1b2c3d-0000-4000-8000-000000000001",
    eventName: "AssociateAccessPolicy",
    eventTime: "2026-12-05T09:10:00Z",
    region: "us-east-1",
    account: ACCOUNT,
    cluster: CLUSTER,
    actor: {
      type: "AssumedRole",
      principalArn: `arn:aws:iam::${ACCOUNT}:role/ci-deployer`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/i-0abc`,
      sourceIPAddress: "203.0.113.66",
    },
    principalArn: OUTSIDER,
    policyArn: ADMIN,
    accessScope: { type: "cluster", namespaces: [] },
  };
  const outcome = await processAccessEvent(
    { store: access, markers: snapshots, notifier, api, policy, now },
    event,
  );
  return { baseline: baseline.id, admin: outcome.recordId ?? "" };
}

describe("--access-entries on history, show and diff", () => {
  it("lists the access-entry records with the facts, the pointers and who made each call", async () => {
    // Prepare
    const { baseline, admin } = await fileHistory();

    // Act
    const history = await run(["history", "--access-entries", "--store", dir, "--cluster", CLUSTER]);
    const json = await run(["history", "--access-entries", "--json", "--store", dir, "--cluster", CLUSTER]);
    const awsAuthHistory = await run(["history", "--store", dir, "--cluster", CLUSTER]);

    // Assess
    expect(history.code).toBe(0);
    const lines = history.out.split("\n");
    expect(lines[0]).toBe(`Access entries of cluster ${CLUSTER} in ${dir}: 2 records`);
    expect(lines[1]).toBe(
      `Facts (2026-12-05T09:00:00.000Z): mode API_AND_CONFIG_MAP; a trail records management events; creator ${CREATOR} (CreateCluster in CloudTrail)`,
    );
    expect(lines[2]).toMatch(/^ID +TIME +STATE +CLASS +ACTOR$/);
    expect(lines.find((l) => l.startsWith(baseline))).toMatch(
      /verified\s+routine\s+captured: baseline {2}\[last-good\]$/,
    );
    expect(lines.find((l) => l.startsWith(admin))).toContain(
      `dangerous     arn:aws:iam::${ACCOUNT}:role/ci-deployer (AssociateAccessPolicy ${OUTSIDER})  [latest]`,
    );
    const parsed = JSON.parse(json.out) as { kind: string; lastGood: string; versions: { id: string }[] };
    expect(parsed).toMatchObject({ kind: "access-entries", lastGood: baseline, latest: admin });
    expect(parsed.versions.map((v) => v.id)).toEqual([baseline, admin]);
    // Without the flag, the aws-auth history as before.
    expect(awsAuthHistory.out).toContain(`Cluster ${CLUSTER} in ${dir}: 1 record`);
  });

  it("shows one record and diffs two, as the access entries changed", async () => {
    // Prepare
    const { baseline, admin } = await fileHistory();

    // Act
    const show = await run(["show", admin, "--access-entries", "--store", dir, "--cluster", CLUSTER]);
    const diff = await run([
      "diff",
      "last-good",
      "latest",
      "--access-entries",
      "--store",
      dir,
      "--cluster",
      CLUSTER,
    ]);
    const missing = await run(["show", "nope", "--access-entries", "--store", dir, "--cluster", CLUSTER]);

    // Assess
    expect(show.code).toBe(0);
    expect(show.out).toContain(`Access-entry record ${admin} of ${CLUSTER} (verified, dangerous)`);
    expect(show.out).toContain(
      `From:    session arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/i-0abc, source IP 203.0.113.66`,
    );
    expect(show.out).toContain("[critical] access-cluster-admin:");
    expect(show.out).toContain(
      `  ${OUTSIDER} (STANDARD): username "(EKS default: the session ARN)", groups [], access policies AmazonEKSClusterAdminPolicy at cluster scope`,
    );
    expect(diff.out).toBe(
      `${baseline} → ${admin} (access entries)\n  + access entry ${OUTSIDER} (STANDARD)\n  + AmazonEKSClusterAdminPolicy for ${OUTSIDER} at cluster scope\n`,
    );
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`no access-entry record "nope" of cluster ${CLUSTER}`);
  });
});

describe("explain --store with access entries and aws-auth", () => {
  it("answers as EKS decides: the access entry wins over aws-auth, the creator is named", async () => {
    // Prepare
    await fileHistory();

    // Act
    const platform = await run([
      "explain",
      `arn:aws:sts::${ACCOUNT}:assumed-role/Platform/alice`,
      "--store",
      dir,
      "--cluster",
      CLUSTER,
    ]);
    const stranger = await run([
      "explain",
      `arn:aws:iam::${ACCOUNT}:role/Nobody`,
      "--store",
      dir,
      "--cluster",
      CLUSTER,
    ]);

    // Assess
    expect(platform.code).toBe(0);
    expect(platform.out).toContain(`Answer:  gets in through the access entry of ${PLATFORM}`);
    expect(platform.out).toContain(
      'an access entry wins over aws-auth for the same principal (aws-auth maps it to "platform" with groups [system:masters])',
    );
    expect(platform.out).toMatch(/access entries: access record \S+ \(mode API_AND_CONFIG_MAP, 2 entries\)/);
    expect(platform.out).toContain(
      `Way in of last resort: the cluster creator ${CREATOR}, but its access entry is gone (mode API_AND_CONFIG_MAP): restore --access-entries re-creates it.`,
    );
    expect(stranger.code).toBe(2);
    expect(stranger.out).toContain("Answer:  DENIED");
  });
});

describe("explain --direct --cluster: the live aws-auth and the live access entries", () => {
  it("asks EKS with the caller's credentials, and says so when it cannot", async () => {
    // Prepare: the live aws-auth maps Platform to system:masters; EKS gives it view in ops only.
    const [server, eks] = await Promise.all([
      FakeApiServer.start({ tokens: { t: { user: "operator", allowed: true } } }),
      FakeEks.start(),
    ]);
    try {
      server.seed(
        awsAuth({
          mapRoles: `- rolearn: arn:aws:iam::${FAKE_ACCOUNT}:role/Platform\n  username: platform\n  groups: [system:masters]\n`,
        }),
      );
      const kubeconfig = await writeKubeconfig(dir, server, "t");
      eks.addCluster({ name: "live" });
      const platform = `arn:aws:iam::${FAKE_ACCOUNT}:role/teams/Platform`;
      const api = new EksAccessEntryApi(eks.client());
      await api.createAccessEntry("live", { principalArn: platform });
      await api.associateAccessPolicy("live", platform, VIEW, { type: "namespace", namespaces: ["ops"] });
      const env = {
        AWS_REGION: FAKE_REGION,
        AWS_ENDPOINT_URL_EKS: eks.endpoint,
        AWS_ACCESS_KEY_ID: "AKIAPLATFORMADMIN",
        AWS_SECRET_ACCESS_KEY: "x",
      };
      const argv = (cluster: string) => [
        "explain",
        `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/Platform/alice`,
        "--direct",
        "--kubeconfig",
        kubeconfig,
        "--cluster",
        cluster,
      ];

      // Act
      const live = recordingIo();
      const liveCode = await main(argv("live"), live.io, { env });
      const missing = recordingIo();
      const missingCode = await main(argv("gone"), missing.io, { env });

      // Assess
      expect(liveCode).toBe(0);
      expect(live.out()).toContain(
        "access entries: live access entries of live (mode API_AND_CONFIG_MAP, 1 entries)",
      );
      expect(live.out()).toContain(`Answer:  gets in through the access entry of ${platform}`);
      expect(live.out()).toContain("an access entry wins over aws-auth for the same principal");
      expect(missingCode).toBe(0);
      expect(missing.out()).toContain(
        "access entries: the live access entries of gone could not be read (ResourceNotFoundException",
      );
      expect(missing.out()).toContain(
        'Answer:  gets in as "platform" with groups [system:masters] (aws-auth)',
      );
      expect(missing.out()).toContain("The access entries are unknown");
    } finally {
      await Promise.all([server.close(), eks.stop()]);
    }
  });
});
