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
import { managementTrailState, recordAccessFacts } from "../../lambda/discovery/access-facts.js";
import { FAKE_ACCOUNT, FakeEks } from "../support/fake-eks.js";
import { clientConfig, createVersionedBucket, type MotoServer, startMoto } from "../support/moto.js";

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
});
