import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import { resolveFunctionName } from "../../bin/commands/stack-outputs.js";
import { loadClusterAccessConfig } from "../../lambda/restore/config.js";
import {
  type ClusterAccessAws,
  clusterAccessHandler,
  startClusterAccessAws,
} from "../restore/cluster-access.js";
import { awsAuth, CONTRACTOR_ROLE, ESCALATED_DATA, GOOD_DATA } from "../restore/fixtures.js";
import { FakeApiServer } from "../support/fake-apiserver.js";
import { clientConfig, createVersionedBucket } from "../support/moto.js";
import { recordingIo } from "./io.js";

const FUNCTION = "aws-auth-guardian-cluster-access";

/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/NAME/invocations`) in front of the real handler,
 * so the CLI's LambdaClient, its payload encoding and FunctionError handling run for real.
 */
async function startLambdaEmulator(
  handler: (event: unknown) => Promise<unknown>,
): Promise<{ url: string; invocations: unknown[]; close(): Promise<void> }> {
  const invocations: unknown[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url ?? "");
    if (request.method !== "POST" || !match || decodeURIComponent(match[1] ?? "") !== FUNCTION) {
      response.writeHead(404, {
        "content-type": "application/json",
        "x-amzn-errortype": "ResourceNotFoundException",
      });
      response.end(
        JSON.stringify({ Type: "User", message: `Function not found: ${match?.[1] ?? request.url}` }),
      );
      return;
    }
    const event = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    invocations.push(event);
    try {
      const result = await handler(event);
      response.writeHead(200, { "content-type": "application/json", "x-amz-executed-version": "$LATEST" });
      response.end(JSON.stringify(result));
    } catch (error) {
      response.writeHead(200, { "content-type": "application/json", "x-amz-function-error": "Unhandled" });
      response.end(
        JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("restore, capture and verify through the cluster-access function (Lambda Invoke → handler → moto + API server)", () => {
  let aws: ClusterAccessAws;
  let apiServer: FakeApiServer;
  let lambda: Awaited<ReturnType<typeof startLambdaEmulator>>;
  let env: Record<string, string>;
  let bucketRun = 0;
  let handler: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    aws = await startClusterAccessAws("restore-cli-alerts");
    apiServer = await FakeApiServer.start({
      authenticate: (token) =>
        token.startsWith("k8s-aws-v1.") ? { user: "guardian", allowed: true } : undefined,
    });
    // The emulator calls whichever handler the current test built (each test has its own bucket).
    lambda = await startLambdaEmulator((event) => handler(event));
    env = {
      AWS_ENDPOINT_URL: lambda.url,
      // The rig's STS checks the proof each restore carries; its ONCALL identity has these keys.
      AWS_ENDPOINT_URL_STS: aws.sts.url,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
    };
  });

  afterAll(async () => {
    await lambda?.close();
    await apiServer?.close();
    await aws?.stop();
  });

  beforeEach(async () => {
    bucketRun += 1;
    const bucket = `cli-snapshots-${bucketRun}`;
    await createVersionedBucket(aws.s3, bucket);
    apiServer.remove();
    handler = clusterAccessHandler(
      loadClusterAccessConfig({
        SNAPSHOT_BUCKET: bucket,
        ALERT_TOPIC_ARN: aws.topicArn,
        AWS_REGION: "us-east-1",
        INTEGRITY_KEY_ID: aws.integrityKeyId,
        // The rig's on-call identity (the CLI's keys) is an operator, so the gate lets every restore here through.
        RESTORE_OPERATORS: "arn:aws:iam::111122223333:role/platform-admin",
      }),
      aws,
      apiServer,
    );
    lambda.invocations.length = 0;
  });

  const writes = () => apiServer.requests.filter((r) => r.method === "PUT" || r.method === "POST");

  it("captures, then restores the last good version after confirmation: dry run first, then the write", async () => {
    // Prepare
    apiServer.seed(awsAuth(GOOD_DATA));
    const capture = recordingIo();
    expect(await main(["capture", "--cluster", "prod", "--function", FUNCTION], capture.io, { env })).toBe(0);
    const damaged = apiServer.seed(awsAuth(ESCALATED_DATA));
    const before = writes().length;
    const recorded = recordingIo(true);

    // Act
    const code = await main(
      ["restore", "--cluster", "prod", "--function", FUNCTION, "--reason", "lockout"],
      recorded.io,
      { env },
    );

    // Assess
    expect(code).toBe(0);
    expect(recorded.out()).toContain(`- role ${CONTRACTOR_ROLE} (was "contractor" in system:masters)`);
    expect(recorded.out()).toMatch(
      /Restored version \d{20}-capture-\d+: replace, resourceVersion \d+ written\./,
    );
    expect(recorded.err()).toContain("warning: Cluster prod has authenticationMode CONFIG_MAP");
    expect(recorded.questions).toHaveLength(1);
    expect(apiServer.object()?.data).toStrictEqual(GOOD_DATA);
    expect(
      writes()
        .slice(before)
        .map((w) => w.method),
    ).toEqual(["PUT"]);
    const [dry, real] = lambda.invocations.slice(-2) as Array<Record<string, unknown>>;
    expect(dry).toMatchObject({
      action: "restore",
      cluster: "prod",
      to: "last-good",
      dryRun: true,
      reason: "lockout",
    });
    expect(real).toMatchObject({
      action: "restore",
      cluster: "prod",
      expectLiveResourceVersion: damaged.metadata.resourceVersion,
    });
    expect(real?.to).toMatch(/^\d{20}-capture-\d+$/);
    expect(real?.dryRun).toBeUndefined();
  });

  it("restore --access-entries proves who asks on every invocation; the gate acts for an operator, not for others", async () => {
    // Act: the rig's identity is an operator here; the store holds no access record yet.
    const operator = recordingIo();
    const asOperator = await main(
      ["restore", "--access-entries", "--cluster", "prod", "--function", FUNCTION, "--yes"],
      operator.io,
      { env },
    );
    const [proven] = lambda.invocations.slice(-1) as Array<Record<string, unknown>>;
    // The same caller, with a function that names no operator and a cluster without a last good version.
    handler = clusterAccessHandler(
      loadClusterAccessConfig({
        SNAPSHOT_BUCKET: `cli-snapshots-${bucketRun}`,
        ALERT_TOPIC_ARN: aws.topicArn,
        AWS_REGION: "us-east-1",
        INTEGRITY_KEY_ID: aws.integrityKeyId,
      }),
      aws,
      apiServer,
    );
    const stranger = recordingIo();
    const asStranger = await main(
      ["restore", "--access-entries", "--cluster", "prod", "--function", FUNCTION, "--yes"],
      stranger.io,
      { env },
    );

    // Assess
    expect(proven).toMatchObject({ action: "restore-access-entries", cluster: "prod", dryRun: true });
    expect(String(proven?.proof)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?Action=GetCallerIdentity&/);
    expect(asOperator).toBe(1);
    expect(operator.out()).toContain("no access record last-good for cluster prod");
    expect(asStranger).toBe(1);
    expect(stranger.out()).toContain(
      "may not restore-access-entries on prod: not a configured restore operator, and there is no last good version",
    );
  });

  it("refuses to write without --yes when there is no terminal, after showing the diff", async () => {
    // Prepare
    apiServer.seed(awsAuth(GOOD_DATA));
    await main(["capture", "--cluster", "prod", "--function", FUNCTION], recordingIo().io, { env });
    apiServer.seed(awsAuth(ESCALATED_DATA));
    const before = writes().length;
    const recorded = recordingIo();

    // Act
    const code = await main(["restore", "--cluster", "prod", "--function", FUNCTION], recorded.io, { env });

    // Assess
    expect(code).toBe(1);
    expect(recorded.out()).toContain(`- role ${CONTRACTOR_ROLE}`);
    expect(recorded.err()).toContain("pass --yes");
    expect(writes().length).toBe(before);
  });

  it("verify through the function exits 2 on a blind spot", async () => {
    // Prepare
    apiServer.seed(awsAuth(GOOD_DATA));
    await main(["capture", "--cluster", "prod", "--function", FUNCTION], recordingIo().io, { env });
    apiServer.seed(awsAuth(ESCALATED_DATA));
    const recorded = recordingIo();

    // Act
    const code = await main(["verify", "--cluster", "prod", "--function", FUNCTION], recorded.io, { env });

    // Assess
    expect(code).toBe(2);
    expect(recorded.out()).toMatch(/^Cluster prod: drift: BLIND SPOT/);
  });

  it("fails with the function's own error message when the function fails", async () => {
    // Prepare: a cluster moto does not know, so DescribeCluster fails inside the function.
    const recorded = recordingIo();

    // Act
    const code = await main(
      ["restore", "--cluster", "staging", "--function", FUNCTION, "--yes"],
      recorded.io,
      {
        env,
      },
    );

    // Assess
    expect(code).toBe(1);
    expect(recorded.err()).toMatch(
      /^error: the cluster-access function aws-auth-guardian-cluster-access failed: ClusterNotFoundError: EKS cluster staging does not exist/,
    );
  });

  it("restore --direct reads the version from --store s3://BUCKET/prefix and records the restore there", async () => {
    // Prepare
    const bucket = `cli-direct-${bucketRun}`;
    await createVersionedBucket(aws.s3, bucket);
    const dir = await mkdtemp(join(tmpdir(), "cli-s3-"));
    const kubeconfig = join(dir, "kubeconfig");
    apiServer.addToken("operator", { user: "operator", allowed: true });
    await writeFile(kubeconfig, apiServer.kubeconfig("operator"));
    const storeEnv = { ...aws.moto.env };
    const direct = ["--direct", "--kubeconfig", kubeconfig, "--store", `s3://${bucket}/guardian`];
    apiServer.seed(awsAuth(GOOD_DATA));
    expect(await main(["capture", ...direct, "--cluster", "prod"], recordingIo().io, { env: storeEnv })).toBe(
      0,
    );
    apiServer.remove();
    const recorded = recordingIo();

    // Act
    const code = await main(["restore", ...direct, "--yes"], recorded.io, { env: storeEnv });
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(code).toBe(0);
    expect(apiServer.object()?.data).toStrictEqual(GOOD_DATA);
    expect(recorded.out()).toContain(`Recorded: s3://${bucket}/guardian/clusters/prod/restores/`);
    expect(recorded.out()).toMatch(/\/restores\/\d{17}-restored-[0-9a-z]*\.json\n/);
  });

  it("fails with a usage error naming --function when no function is known and the stack cannot be read", async () => {
    // Prepare: CloudFormation answers nowhere (a closed loopback port), with static credentials so that
    // no credential provider goes looking for instance metadata.
    const recorded = recordingIo();
    const saved = { ...process.env };
    delete process.env.AWS_AUTH_GUARDIAN_FUNCTION;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_MAX_ATTEMPTS: "1",
    });

    // Act
    const code = await main(["restore", "--cluster", "prod", "--yes"], recorded.io);
    process.env = saved;

    // Assess
    expect(code).toBe(1);
    expect(recorded.err()).toContain("error: no cluster-access function given: pass --function NAME");
    expect(recorded.err()).toContain("looking up stack AwsAuthGuardian's outputs failed");
  });

  it("finds the function in the deployed stack's outputs when --function is not given", async () => {
    // Prepare: a stack in moto's CloudFormation with the output the real stack has.
    const cfn = new CloudFormationClient(clientConfig(aws.moto.env));
    await cfn.send(
      new CreateStackCommand({
        StackName: "GuardianLookup",
        TemplateBody: JSON.stringify({
          Resources: { Queue: { Type: "AWS::SQS::Queue" } },
          Outputs: { ClusterAccessFunctionName: { Value: "guardian-cluster-access-from-stack" } },
        }),
      }),
    );

    // Act
    const named = await resolveFunctionName({ stack: "GuardianLookup", env: aws.moto.env });
    const missing = resolveFunctionName({ stack: "NoSuchGuardianStack", env: aws.moto.env });

    // Assess
    expect(named).toBe("guardian-cluster-access-from-stack");
    await expect(missing).rejects.toThrow(/looking up stack NoSuchGuardianStack's outputs failed/);
    expect(await resolveFunctionName({ option: "given", env: aws.moto.env })).toBe("given");
  });
});
