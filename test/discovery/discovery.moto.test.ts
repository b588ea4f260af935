/**
 * Discovery over the wire against moto (CloudWatch Logs, EKS, SNS → SQS): the same calls as in Lambda,
 * serialized, sent and parsed by the real SDK. moto's EKS has no access entries and no `accessConfig`, so
 * access entries are off here and every moto cluster reads as CONFIG_MAP (the in-memory tests cover the rest);
 * the capture invoke goes to the in-memory fake (moto would need Docker to run it). Like CloudWatch Logs, moto
 * refuses a subscription filter whose destination function does not exist, so the classifier is created first.
 */

import { Sha256 } from "@aws-crypto/sha256-js";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeSubscriptionFiltersCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AWS_AUTH_WRITE_FILTER_PATTERN } from "../../lambda/core/subscription-filter.js";
import type { DiscoveryConfig } from "../../lambda/discovery/config.js";
import { discover } from "../../lambda/discovery/discovery.js";
import {
  clientConfig,
  createTopicWithQueue,
  drainQueue,
  type MotoServer,
  startMoto,
} from "../support/moto.js";
import { FakeAws } from "./fake-aws.js";

/** An empty zip archive (end-of-central-directory record only): moto stores the code, it never runs it here. */
const EMPTY_ZIP = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);

describe("discovery against moto", () => {
  let moto: MotoServer;
  let logs: CloudWatchLogsClient;
  let eks: EKSClient;
  let sns: SNSClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    moto = await startMoto();
    logs = new CloudWatchLogsClient(clientConfig(moto.env));
    eks = new EKSClient(clientConfig(moto.env));
    sns = new SNSClient(clientConfig(moto.env));
    sqs = new SQSClient(clientConfig(moto.env));
  });
  afterAll(async () => {
    await moto?.stop();
  });

  /** moto checks that a function's role exists; there is no IAM client among the dependencies, so sign one call. */
  async function createRole(name: string): Promise<string> {
    const url = new URL(moto.endpoint);
    const body = new URLSearchParams({
      Action: "CreateRole",
      Version: "2010-05-08",
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    }).toString();
    const request = new HttpRequest({
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      method: "POST",
      path: "/",
      headers: { host: url.host, "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    const signer = new SignatureV4({
      service: "iam",
      region: "us-east-1",
      credentials: {
        accessKeyId: moto.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY,
      },
      sha256: Sha256,
    });
    const signed = await signer.sign(request);
    const response = await fetch(moto.endpoint, { method: "POST", headers: signed.headers, body });
    const text = await response.text();
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
    if (!response.ok || !arn) throw new Error(`CreateRole failed: ${response.status} ${text.slice(0, 300)}`);
    return arn;
  }

  async function createCluster(name: string, audit: boolean): Promise<void> {
    await eks.send(
      new CreateClusterCommand({
        name,
        roleArn: "arn:aws:iam::123456789012:role/eks-cluster",
        resourcesVpcConfig: { subnetIds: ["subnet-0123456789abcdef0"] },
        logging: { clusterLogging: [{ types: audit ? ["api", "audit"] : ["api"], enabled: true }] },
      }),
    );
  }

  it("subscribes the audited cluster with the shared pattern and alerts on the blind one", async () => {
    // Prepare
    await createCluster("audited", true);
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/eks/audited/cluster" }));
    await createCluster("blind", false);
    const { topicArn, queueUrl } = await createTopicWithQueue(sns, sqs, "guardian-alerts");
    const role = await createRole("guardian-classifier");
    const { FunctionArn: classifierArn } = await new LambdaClient(clientConfig(moto.env)).send(
      new CreateFunctionCommand({
        FunctionName: "guardian-classifier",
        Runtime: "nodejs22.x",
        Role: role,
        Handler: "index.handler",
        Code: { ZipFile: EMPTY_ZIP },
      }),
    );
    const lambda = new FakeAws();
    const config: DiscoveryConfig = {
      clusters: "*",
      classifierArn: String(classifierArn),
      filterName: "aws-auth-guardian",
      accessEntries: "off",
      clusterAccessRoleArn: "arn:aws:iam::123456789012:role/guardian-cluster-access",
      accessPolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
      clusterAccessFunctionName: "guardian-cluster-access",
      topicArn,
      maxEventAttempts: 6,
    };

    // Act
    const result = await discover({ reason: "schedule" }, config, {
      logs,
      eks,
      sns,
      lambda: lambda.clients().lambda,
    });

    // Assess
    expect(result.reports.map((r) => [r.cluster, r.state, r.filter, r.problems.map((p) => p.code)])).toEqual([
      ["audited", "guarded", "created", ["auth-mode-config-map"]],
      ["blind", "unguarded", "absent", ["audit-logging-off", "auth-mode-config-map", "log-group-missing"]],
    ]);
    const { subscriptionFilters } = await logs.send(
      new DescribeSubscriptionFiltersCommand({ logGroupName: "/aws/eks/audited/cluster" }),
    );
    expect(subscriptionFilters).toMatchObject([
      {
        filterName: "aws-auth-guardian",
        filterPattern: AWS_AUTH_WRITE_FILTER_PATTERN,
        destinationArn: config.classifierArn,
      },
    ]);
    expect(lambda.invocations().map((i) => i.payload)).toEqual([
      { action: "capture", cluster: "audited", reason: "baseline" },
    ]);
    const alerts = await drainQueue(sqs, queueUrl, { waitSeconds: 2 });
    expect(alerts.map((a) => a.Subject).sort()).toEqual([
      "[aws-auth AT RISK] audited: no lockout-proof restore (CONFIG_MAP mode)",
      "[aws-auth UNGUARDED] blind: audit logging is off, no lockout-proof restore (CONFIG_MAP mode), au...",
    ]);
    expect(alerts.find((a) => a.Subject?.includes("blind"))?.MessageAttributes?.cluster?.Value).toBe("blind");
  });
});
