/**
 * Issue 3 benchmark: the classifier's deployed bundle (esbuild, minified, ESM, node22, the AWS SDK
 * bundled in as the CDK stack does) and its cold-init time in a fresh Node process, each against a
 * bare handler that only creates the same S3 and SNS clients; and per-event processing time against
 * moto. Prints figures; asserts nothing.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { build } from "esbuild";
import { loadClassifierConfig } from "../lambda/classifier/config.js";
import { createHandler } from "../lambda/classifier/create-handler.js";
import {
  clientConfig,
  createTopicWithQueue,
  createVersionedBucket,
  startMoto,
} from "../test/support/moto.js";
import { median, printTable } from "./report.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface Bundled {
  size: number;
  /** Every file the bundle took in. */
  inputs: string[];
}

/** The deployed bundle's settings; `external` leaves packages to the Lambda runtime. */
export async function bundleWith(entry: string, outfile: string, external: string[] = []): Promise<Bundled> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node22",
    banner: { js: BANNER },
    external,
    metafile: true,
    logLevel: "silent",
  });
  return { size: statSync(outfile).size, inputs: Object.keys(result.metafile.inputs) };
}

export async function bundle(entry: string, outfile: string): Promise<number> {
  return (await bundleWith(entry, outfile)).size;
}

/** Milliseconds to import a bundle in a fresh Node process, median of `runs`. */
export function coldInit(bundlePath: string, env: Record<string, string>, runs = 7): number {
  const samples: number[] = [];
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${bundlePath}`)}); process.stdout.write(String(performance.now() - t));`;
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, ...env, AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench" },
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(`cold init of ${bundlePath} failed: ${child.stderr}`);
    samples.push(Number(child.stdout));
  }
  return median(samples);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

async function perEvent(): Promise<string> {
  const moto = await startMoto();
  try {
    const s3 = new S3Client({ ...clientConfig(moto.env), forcePathStyle: true });
    const sns = new SNSClient(clientConfig(moto.env));
    await createVersionedBucket(s3, "bench-snapshots");
    const { topicArn } = await createTopicWithQueue(
      sns,
      new SQSClient(clientConfig(moto.env)),
      "bench-alerts",
    );
    const handler = createHandler(
      loadClassifierConfig({
        SNAPSHOT_BUCKET: "bench-snapshots",
        ALERT_TOPIC_ARN: topicArn,
        AWS_REGION: "us-east-1",
      }),
      { s3, sns, lambda: new LambdaClient(clientConfig(moto.env)) },
    );
    const template = JSON.parse(
      readFileSync(
        join(ROOT, "test/fixtures/audit/lab/s05-sso-admin-kubectl-edit-add-developer.jsonl"),
        "utf8",
      )
        .split("\n")
        .find((l) => l.includes('"verb":"patch"')) ?? "{}",
    );
    const samples: number[] = [];
    const events = 40;
    for (let i = 0; i < events; i++) {
      const event = structuredClone(template);
      event.auditID = `bench-${i}`;
      event.responseObject.metadata.resourceVersion = String(1000 + i);
      // Alternate between two contents so that every other write is a real (routine, alerting) change.
      if (i % 2)
        event.responseObject.data.mapRoles += `- rolearn: arn:aws:iam::012345678901:role/bench-${i}\n  username: bench\n  groups: [view-only]\n`;
      const payload = {
        messageType: "DATA_MESSAGE",
        owner: "012345678901",
        logGroup: "/aws/eks/bench/cluster",
        logStream: "kube-apiserver-audit-0",
        subscriptionFilters: ["aws-auth-guardian"],
        logEvents: [{ id: String(i), timestamp: Date.now(), message: JSON.stringify(event) }],
      };
      const awslogs = {
        awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") },
      };
      const start = performance.now();
      await handler(awslogs);
      samples.push(performance.now() - start);
    }
    return `${median(samples).toFixed(1)} ms median, ${Math.max(...samples).toFixed(1)} ms max over ${events} single-event deliveries (moto on loopback; history grows to ${events} versions)`;
  } finally {
    await moto.stop();
  }
}

export async function benchClassifier(): Promise<Array<[string, string]>> {
  // Inside node_modules, so that the bare handler resolves the SDK like the real entry does.
  const dir = join(ROOT, "node_modules/.cache/aws-auth-guardian-bench");
  mkdirSync(dir, { recursive: true });
  const bareEntry = join(dir, "bare.mjs");
  writeFileSync(
    bareEntry,
    `import { S3Client } from "@aws-sdk/client-s3";\nimport { SNSClient } from "@aws-sdk/client-sns";\nconst s3 = new S3Client({});\nconst sns = new SNSClient({});\nexport const handler = async () => [s3, sns].length;\n`,
  );
  const classifierSize = await bundle(
    join(ROOT, "lambda/classifier/handler.ts"),
    join(dir, "classifier.mjs"),
  );
  const bareSize = await bundle(bareEntry, join(dir, "bare-out.mjs"));
  const env = {
    SNAPSHOT_BUCKET: "b",
    ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:012345678901:t",
    AWS_REGION: "us-east-1",
  };
  const classifierInit = coldInit(join(dir, "classifier.mjs"), env);
  const bareInit = coldInit(join(dir, "bare-out.mjs"), env);
  return [
    [
      "classifier bundle",
      `${kb(classifierSize)} (bare S3+SNS handler ${kb(bareSize)}; ratio ${(classifierSize / bareSize).toFixed(2)}×)`,
    ],
    [
      "cold init",
      `${classifierInit.toFixed(0)} ms median of 7 (bare ${bareInit.toFixed(0)} ms; ratio ${(classifierInit / bareInit).toFixed(2)}×)`,
    ],
    ["per event vs moto", await perEvent()],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`)
  printTable("classifier (issue 3)", await benchClassifier());
