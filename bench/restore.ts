/**
 * Issue 4 benchmark: how long `restore --direct` takes from start to a verified write against the
 * in-test API server (TLS, own CA), in-process and as a fresh CLI process; and the cluster-access
 * function's bundle (esbuild, minified, ESM, node22) and cold-init time in a fresh Node process.
 * Prints figures; asserts nothing.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { main } from "../bin/cli.js";
import type { CommandIo } from "../bin/commands/io.js";
import { awsAuth, ESCALATED_DATA, GOOD_DATA } from "../test/restore/fixtures.js";
import { FakeApiServer } from "../test/support/fake-apiserver.js";
import { type Bundled, bundle, bundleWith, coldInit } from "./classifier.js";
import { median, printTable } from "./report.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** What the Lambda runtime provides, for the bundles that leave it out. */
const SDK = ["@aws-sdk/*", "@smithy/*"];
const TOKEN = "bench-token";
const RUNS = 25;
const PROCESS_RUNS = 5;
/** bench/classifier.ts's `coldInit` takes the median of this many runs by default. */
const INIT_RUNS = 7;
/** What the cluster-access function needs in its environment to get past its cold start. */
const FUNCTION_ENV = {
  SNAPSHOT_BUCKET: "b",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:012345678901:t",
  AWS_REGION: "us-east-1",
  INTEGRITY_KEY_ID: "arn:aws:kms:us-east-1:012345678901:key/00000000-0000-0000-0000-000000000000",
};

const execFileAsync = promisify(execFile);

const quietIo: CommandIo = { out: () => {}, err: () => {}, readStdin: async () => Buffer.alloc(0) };

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

async function restoreTimings(): Promise<Array<[string, string]>> {
  const server = await FakeApiServer.start({ tokens: { [TOKEN]: { user: "bench", allowed: true } } });
  const dir = mkdtempSync(join(tmpdir(), "restore-bench-"));
  try {
    const kubeconfig = join(dir, "kubeconfig");
    const store = join(dir, "store");
    writeFileSync(kubeconfig, server.kubeconfig(TOKEN));
    const direct = ["--direct", "--kubeconfig", kubeconfig, "--store", store, "--cluster", "bench"];
    server.seed(awsAuth(GOOD_DATA));
    if ((await main(["capture", ...direct], quietIo)) !== 0) throw new Error("baseline capture failed");

    const samples: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      server.seed(awsAuth(ESCALATED_DATA));
      const start = performance.now();
      const code = await main(["restore", ...direct, "--yes"], quietIo);
      const elapsed = performance.now() - start;
      if (code !== 0) throw new Error(`restore --direct exited ${code}`);
      samples.push(elapsed);
    }
    const [first = 0, ...warm] = samples;

    // A fresh CLI process per restore, as an operator runs it (start-up included: the compiled CLI,
    // or tsx when dist/cli is stale, and the Kubernetes client it loads). Asynchronous:
    // the API server lives in this process and must keep answering.
    const processSamples: number[] = [];
    for (let i = 0; i < PROCESS_RUNS; i++) {
      server.seed(awsAuth(ESCALATED_DATA));
      const start = performance.now();
      await execFileAsync(process.execPath, [
        join(ROOT, "bin/aws-auth-guardian.mjs"),
        "restore",
        ...direct,
        "--yes",
      ]);
      processSamples.push(performance.now() - start);
    }
    return [
      [
        "restore --direct, in-process",
        `${ms(median(warm))} median of ${warm.length} (first run ${ms(first)}); each: kubeconfig load, dry run, write, read-back, 2 restore records`,
      ],
      [
        "restore --direct, fresh process",
        `${ms(median(processSamples))} median of ${PROCESS_RUNS} (start-up included: node, the CLI, the Kubernetes client)`,
      ],
    ];
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bundleFigures(): Promise<Array<[string, string]>> {
  // Inside node_modules so that a bundle with the SDK left external still resolves it, as in Lambda.
  const dir = join(ROOT, "node_modules/.cache/aws-auth-guardian-bench");
  mkdirSync(dir, { recursive: true });
  const entry = join(ROOT, "lambda/restore/handler.ts");
  const full = join(dir, "cluster-access.mjs");
  const fullSize = await bundle(entry, full);
  const slim = join(dir, "cluster-access-sdk-external.mjs");
  const slimBundle = await bundleWith(entry, slim, SDK);
  // The SDK is all that is left out, so these list every other package the full bundles hold.
  const classifier = await bundleWith(
    join(ROOT, "lambda/classifier/handler.ts"),
    join(dir, "classifier-sdk-external.mjs"),
    SDK,
  );
  const kubeIn = (b: Bundled) => b.inputs.some((i) => i.includes("@kubernetes/client-node"));
  return [
    [
      "cluster-access bundle",
      `${kib(fullSize)} (everything bundled, as the classifier's bench does); ${kib(slimBundle.size)} with @aws-sdk/* and @smithy/* left to the Lambda runtime`,
    ],
    [
      "cold init",
      `${ms(coldInit(full, FUNCTION_ENV))} median of ${INIT_RUNS} (SDK-external bundle: ${ms(coldInit(slim, FUNCTION_ENV))})`,
    ],
    [
      "Kubernetes client in bundles",
      `cluster-access: ${kubeIn(slimBundle) ? "yes" : "no"}; classifier: ${kubeIn(classifier) ? "YES (should not be)" : "no"} (${kib(classifier.size)} SDK-external)`,
    ],
  ];
}

export async function benchRestore(): Promise<Array<[string, string]>> {
  return [...(await restoreTimings()), ...(await bundleFigures())];
}

if (import.meta.url === `file://${process.argv[1]}`)
  printTable("restore and cluster access (issue 4)", await benchRestore());
