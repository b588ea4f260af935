/**
 * Discovery's access facts against moto (CloudTrail trails, S3) and the EKS access-entry fake: the
 * missing trail said aloud, the creator found from its bootstrapped entry, drift from the latest record.
 */
import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from "@aws-sdk/client-cloudtrail";
import { PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
import { S3BlobStore } from "../../lambda/adapters/s3-blob-store.js";
import { captureAccessPicture } from "../../lambda/core/access-pipeline.js";
import { AccessStore } from "../../lambda/core/access-store.js";
import { makePolicy } from "../../lambda/core/policy.js";
import {
  creatorFromCloudTrail,
  creatorsFromCloudTrail,
  managementTrailState,
  recordAccessFacts,
  verifyAccessEntries,
} from "../../lambda/discovery/access-facts.js";
import { renderUnguardedAlert } from "../../lambda/discovery/alert.js";
import type { DiscoveryConfig } from "../../lambda/discovery/config.js";
import { discover } from "../../lambda/discovery/discovery.js";
import { FAKE_ACCOUNT, FakeEks } from "../support/fake-eks.js";
import { RecordingNotifier } from "../support/memory-store.js";
import { clientConfig, createVersionedBucket, type MotoServer, startMoto } from "../support/moto.js";
import { FakeAws } from "./fake-aws.js";

const CREATOR = `arn:aws:iam::${FAKE_ACCOUNT}:role/platform/ClusterCreator`;
const OTHER = `arn:aws:iam::${FAKE_ACCOUNT}:role/Other`;

describe("access facts", () => {
  let moto: MotoServer;
  let fake: FakeEks;
  let s3: S3Client;
  let cloudtrail: CloudTrailClient;

  beforeAll(async () => {
    [moto, fake] = await Promise.all([startMoto(), FakeEks.start()]);
    s3 = new S3Client({ ...clientConfig(moto.env), forcePathStyle: true });
    cloudtrail = new CloudTrailClient(clientConfig(moto.env));
    await createVersionedBucket(s3, "facts");
  });
  afterAll(async () => {
    await Promise.all([moto?.stop(), fake?.stop()]);
  });

  it("says the guardian is blind to access entries when no trail records management events, and finds the creator", async () => {
    // Prepare
    fake.addCluster({ name: "facts", creatorArn: CREATOR });
    const api = new EksAccessEntryApi(fake.client());
    await api.createAccessEntry("facts", { principalArn: OTHER });
    const store = new AccessStore(new S3BlobStore(s3, "facts"));
    await captureAccessPicture(
      { store, api, now: () => new Date(), policy: makePolicy() },
      "facts",
      "baseline",
    );
    await api.deleteAccessEntry("facts", OTHER);

    // Act
    const facts = await recordAccessFacts({ api, cloudtrail, store, now: () => new Date() }, "facts");

    // Assess
    expect(facts.info).toMatchObject({
      trail: "none",
      creator: CREATOR,
      creatorSource: "access-entry",
      authenticationMode: "API_AND_CONFIG_MAP",
    });
    expect(facts.problems[0]).toContain("No CloudTrail trail records management events");
    expect(facts.problems[1]).toContain("differ from the latest record");
    expect(await store.creatorOf("facts")).toBe(CREATOR);
  });

  it("discovery reports the missing trail for every cluster and names the creator, filing nothing", async () => {
    // Prepare
    fake.addCluster({ name: "found", creatorArn: CREATOR });
    const aws = new FakeAws().addCluster("found");
    const config: DiscoveryConfig = {
      clusters: ["found"],
      classifierArn: "arn:aws:lambda:us-east-1:111122223333:function:classifier",
      filterName: "aws-auth-guardian",
      accessEntries: "off",
      clusterAccessRoleArn: "arn:aws:iam::111122223333:role/guardian-access",
      accessPolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
      clusterAccessFunctionName: "guardian-cluster-access",
      topicArn: "arn:aws:sns:us-east-1:111122223333:alerts",
      maxEventAttempts: 6,
    };
    const store = new AccessStore(new S3BlobStore(s3, "facts"));

    // Act
    const result = await discover({ reason: "schedule" }, config, {
      ...aws.clients(),
      eks: fake.client(),
      cloudtrail,
    });

    // Assess
    const report = result.reports[0];
    expect(report).toMatchObject({
      cluster: "found",
      trail: "none",
      creator: CREATOR,
      creatorSource: "access-entry",
      authenticationMode: "API_AND_CONFIG_MAP",
    });
    expect(report?.problems.map((p) => p.code)).toContain("no-management-trail");
    const alert = renderUnguardedAlert(report as NonNullable<typeof report>);
    expect(alert.subject).toContain("blind to access entries (no CloudTrail trail)");
    expect(alert.email).toContain("EventBridge receives no access-entry events");
    expect(alert.email).toContain(
      `Way in of last resort: the cluster creator ${CREATOR} (implicit admin in mode CONFIG_MAP; in the other modes, admin through its bootstrapped access entry while it has one) (found from its bootstrapped access entry).`,
    );
    expect(aws.published()).toHaveLength(1);
    // Discovery may not write the history store: the facts are filed by verify and capture.
    expect(await store.getClusterInfo("found")).toBeUndefined();
  });

  it("verify files the facts, takes the first record, then catches an entry added without an event", async () => {
    // Prepare
    fake.addCluster({ name: "drift", creatorArn: CREATOR });
    const api = new EksAccessEntryApi(fake.client());
    const store = new AccessStore(new S3BlobStore(s3, "facts"));
    const notifier = new RecordingNotifier();
    const deps = { api, cloudtrail, store, notifier, policy: makePolicy(), now: () => new Date() };

    // Act
    const first = await verifyAccessEntries(deps, "drift");
    const quiet = await verifyAccessEntries(deps, "drift");
    const foreign = "arn:aws:iam::999988887777:role/outsider";
    await api.createAccessEntry("drift", { principalArn: foreign });
    const caught = await verifyAccessEntries(deps, "drift");
    const after = await verifyAccessEntries(deps, "drift");

    // Assess
    expect(first).toMatchObject({ blindSpot: true, alerted: false });
    expect(first.recordId).toMatch(/-capture$/);
    expect(await store.getClusterInfo("drift")).toMatchObject({
      creator: CREATOR,
      authenticationMode: "API_AND_CONFIG_MAP",
      trail: "none",
    });
    expect(quiet.recordId).toBeUndefined();
    expect(quiet.alerted).toBe(false);
    expect(caught.alerted).toBe(true);
    expect(caught.problems.join("\n")).toContain(`differ from the latest record (${first.recordId})`);
    expect(notifier.sent).toHaveLength(1);
    const email = notifier.sent[0]?.email ?? "";
    expect(email).toContain("BLIND SPOT");
    expect(email).toContain(`+ access entry ${foreign} (STANDARD)`);
    expect(email).toContain(`restore --access-entries --cluster drift --to ${first.recordId}`);
    expect(email).toContain(`Way in of last resort: the cluster creator ${CREATOR}`);
    expect((await store.resolve("drift", "latest"))?.id).toBe(caught.recordId);
    expect(after.alerted).toBe(false);
    expect(after.problems.join("\n")).not.toContain("differ from the latest record");
  });

  it("sees a logging trail with management events", async () => {
    await createVersionedBucket(s3, "trail-logs");
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "trail-logs",
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "cloudtrail.amazonaws.com" },
              Action: "s3:*",
              Resource: ["arn:aws:s3:::trail-logs", "arn:aws:s3:::trail-logs/*"],
            },
          ],
        }),
      }),
    );
    await cloudtrail.send(
      new CreateTrailCommand({ Name: "management", S3BucketName: "trail-logs", IsMultiRegionTrail: true }),
    );
    expect(await managementTrailState(cloudtrail)).toBe("none");

    await cloudtrail.send(new StartLoggingCommand({ Name: "management" }));

    expect(await managementTrailState(cloudtrail)).toBe("recording");
  });

  it("reads every EKS CreateCluster caller from one scan of the event history, newest first, pages included", async () => {
    // Prepare: CloudTrail's LookupEvents answers, as the SDK parses them.
    const record = (name: string, arn: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        requestParameters: { name },
        userIdentity: {
          type: "AssumedRole",
          arn: `arn:aws:sts::111122223333:assumed-role/${arn}/session`,
          sessionContext: { sessionIssuer: { arn: `arn:aws:iam::111122223333:role/teams/${arn}` } },
        },
        ...extra,
      });
    const pages = [
      {
        Events: [
          { EventSource: "eks.amazonaws.com", CloudTrailEvent: record("prod", "Newer") },
          { EventSource: "ecs.amazonaws.com", CloudTrailEvent: record("ecs-only", "Ecs") },
          {
            EventSource: "eks.amazonaws.com",
            CloudTrailEvent: record("failed", "Denied", { errorCode: "AccessDenied" }),
          },
          { EventSource: "eks.amazonaws.com", CloudTrailEvent: "{not json" },
        ],
        NextToken: "page-2",
      },
      {
        Events: [
          { EventSource: "eks.amazonaws.com", CloudTrailEvent: record("prod", "Older") },
          { EventSource: "eks.amazonaws.com", CloudTrailEvent: record("dev", "DevCreator") },
        ],
      },
    ];
    const asked: (string | undefined)[] = [];
    const lookups = new CloudTrailClient({
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    });
    lookups.middlewareStack.add(
      () => async (args) => {
        const input = (args as { input: { NextToken?: string } }).input;
        asked.push(input.NextToken);
        return {
          output: { ...(pages[input.NextToken ? 1 : 0] as object), $metadata: {} },
          response: {},
        } as never;
      },
      { step: "initialize", name: "cannedLookupEvents" },
    );

    // Act
    const all = await creatorsFromCloudTrail(lookups, new Date());
    const one = await creatorFromCloudTrail(lookups, "prod", new Date());

    // Assess
    expect([...all.entries()]).toEqual([
      ["prod", "arn:aws:iam::111122223333:role/teams/Newer"],
      ["dev", "arn:aws:iam::111122223333:role/teams/DevCreator"],
    ]);
    expect(one).toBe("arn:aws:iam::111122223333:role/teams/Newer");
    // The scan for one cluster stops at its record: one page.
    expect(asked).toEqual([undefined, "page-2", undefined]);
  });
});
