/**
 * The classifier as it is deployed: `lambda/classifier/handler.ts` bundled by esbuild with the CDK
 * stack's settings (ESM, node22, the AWS SDK inside), run in a child Node process whose environment
 * is the Lambda's. Each `invoke` starts a fresh process (a cold start) and hands the events to the
 * handler one by one, as Lambda would, returning each result or error.
 *
 * The child runs asynchronously: the in-test fakes it talks to (EKS) live in this process's event loop.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ENTRY = fileURLToPath(new URL("../../lambda/classifier/handler.ts", import.meta.url));
const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

const RUNNER = `
import { readFileSync } from "node:fs";
const [bundle, eventsFile] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventsFile, "utf8"));
const { handler } = await import(bundle);
const results = [];
for (const event of events) {
  try {
    results.push({ ok: true, value: await handler(event) });
  } catch (error) {
    results.push({ ok: false, error: String(error && error.message || error), name: error && error.name });
  }
}
process.stdout.write(JSON.stringify(results));
`;

export type Invocation =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: string; name?: string };

export interface BundledClassifier {
  invoke(events: readonly unknown[], env: Readonly<Record<string, string>>): Promise<Invocation[]>;
  dispose(): Promise<void>;
}

export async function bundleClassifier(): Promise<BundledClassifier> {
  const dir = await mkdtemp(join(tmpdir(), "classifier-bundle-"));
  const outfile = join(dir, "index.mjs");
  await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node22",
    banner: { js: BANNER },
    logLevel: "silent",
  });
  const runner = join(dir, "run.mjs");
  await writeFile(runner, RUNNER);
  let batch = 0;
  return {
    async invoke(events, env) {
      const eventsFile = join(dir, `events-${++batch}.json`);
      await writeFile(eventsFile, JSON.stringify(events));
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          [runner, outfile, eventsFile],
          {
            env: {
              PATH: process.env.PATH ?? "",
              POWERTOOLS_LOG_LEVEL: "SILENT",
              POWERTOOLS_METRICS_DISABLED: "true",
              AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
              AWS_EC2_METADATA_DISABLED: "true",
              ...env,
            },
            maxBuffer: 64 * 1024 * 1024,
          },
          (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
        );
      });
      return JSON.parse(stdout) as Invocation[];
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
