/**
 * bin/app.ts as `cdk synth` runs it (cdk.json's `app`), for what only the entry point does: refuse a wrong
 * configuration with a readable message before synthesizing anything.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CDK_APP_COMMAND, CDK_CONTEXT } from "./synth.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs the app the way the CDK CLI does: context in CDK_CONTEXT_JSON, output directory in CDK_OUTDIR. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), "guardian-app-"));
  try {
    return spawnSync(process.execPath, ["--import", "tsx", "bin/app.ts"], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      encoding: "utf8",
      timeout: 60_000,
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("bin/app.ts", () => {
  it("is cdk.json's app, run through tsx", () => {
    // Assess
    expect(CDK_APP_COMMAND).toBe("npx tsx bin/app.ts");
  });

  it("fails with the configuration error, naming the key, and no stack trace", () => {
    // Act
    const result = runApp({ ...CDK_CONTEXT, alertEmails: "oncall@example.com" });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'aws-auth-guardian configuration error: context key "alertEmails" is "oncall@example.com"; expected a list of e-mail addresses',
    );
    expect(result.stderr).not.toContain("    at ");
  });

  it("fails on an unknown context key with the closest known one (-c cluster=prod)", () => {
    // Act
    const result = runApp({ ...CDK_CONTEXT, cluster: "prod" });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'aws-auth-guardian configuration error: unknown context key "cluster"; did you mean "clusters"?',
    );
  });
});
