/**
 * The command line itself: version, help on every command without side effects, the closest match
 * for a typo, a quiet end when the reader of the output goes away, no SDK notices, --region.
 */
import { execFile, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import type { ClusterAccessEvent } from "../../lambda/restore/create-handler.js";
import packageJson from "../../package.json" with { type: "json" };
import { recordingIo } from "./io.js";

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const COMMANDS = ["analyze", "demo", "restore", "capture", "verify", "rules", "history", "show", "diff"];

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real binary. With `closedStdout`, the reading end of its stdout is closed before it writes
 * anything (as `| head -0` does; with `| head -1` the reader may go before or after the last write).
 * `env` replaces the test's environment (minus the SDK notice switch vitest sets for everything).
 */
function binary(
  args: string[],
  options: { closedStdout?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Exited> {
  const env = { ...process.env, ...options.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const child = spawn(process.execPath, ["bin/aws-auth-guardian.mjs", ...args], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  if (options.closedStdout) child.stdout.destroy();
  else
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("version and help", () => {
  it("--version prints the package's version", async () => {
    // Prepare
    const recorded = recordingIo();

    // Act
    const code = await main(["--version"], recorded.io);

    // Assess
    expect(code).toBe(0);
    expect(recorded.out()).toBe(`${packageJson.version}\n`);
  });

  it("--help lists every command", async () => {
    const recorded = recordingIo();
    expect(await main(["--help"], recorded.io)).toBe(0);
    for (const name of COMMANDS) expect(recorded.out()).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("without a command prints the help to stderr and fails", async () => {
    const recorded = recordingIo();
    expect(await main([], recorded.io)).toBe(1);
    expect(recorded.err()).toContain("Usage: aws-auth-guardian [options] [command]");
    expect(recorded.out()).toBe("");
  });

  it.each(COMMANDS)("%s --help prints its usage and does nothing else", async (name) => {
    // Prepare: a function that records any invocation; no store, no kubeconfig.
    const invoked: ClusterAccessEvent[] = [];
    const recorded = recordingIo();

    // Act
    const code = await main([name, "--help"], recorded.io, {
      invoke: async (event) => {
        invoked.push(event);
        return {};
      },
    });
    const viaHelp = recordingIo();
    await main(["help", name], viaHelp.io);

    // Assess
    expect(code).toBe(0);
    expect(recorded.out()).toMatch(new RegExp(`^Usage: aws-auth-guardian ${name} `));
    expect(recorded.out()).toContain("-h, --help");
    expect(recorded.out()).not.toContain("━━ Step");
    expect(recorded.err()).toBe("");
    expect(invoked).toEqual([]);
    expect(viaHelp.out()).toBe(recorded.out());
  });
});

describe("mistakes get the closest match", () => {
  it.each([
    [
      ["restore", "--cluster", "prod", "--dry-rn"],
      "error: unknown option '--dry-rn'\n(Did you mean --dry-run?)\n",
    ],
    [["histroy"], "error: unknown command 'histroy'\n(Did you mean history?)\n"],
    [["show", "latest", "--stor", "dir"], "error: unknown option '--stor'\n(Did you mean --store?)\n"],
  ])("%j", async (argv, message) => {
    const recorded = recordingIo();
    expect(await main(argv, recorded.io)).toBe(1);
    expect(recorded.err()).toBe(message);
  });

  it("missing and extra operands are usage errors", async () => {
    const missing = recordingIo();
    expect(await main(["diff", "latest", "--store", "dir"], missing.io)).toBe(1);
    expect(missing.err()).toBe("error: missing required argument 'b'\n");
    const extra = recordingIo();
    expect(await main(["demo", "now"], extra.io)).toBe(1);
    expect(extra.err()).toMatch(/^error: too many arguments for 'demo'/);
  });
});

describe("the real binary", () => {
  it("runs the CLI compiled to JavaScript (dist/cli), not the TypeScript sources", async () => {
    const result = await binary(["--version"], { env: { AWS_AUTH_GUARDIAN_DEBUG: "1" } });
    expect(result).toEqual({
      code: 0,
      stdout: `${packageJson.version}\n`,
      stderr: "aws-auth-guardian: running dist/cli/cli.js\n",
    });
  });

  it.each([
    ["missing", undefined, "dist/cli is missing"],
    ["older than a source", { builtAt: 0, inputs: ["bin/cli.ts"] }, "bin/cli.ts is newer than dist/cli"],
    [
      "built from a source now gone",
      { builtAt: Date.now(), inputs: ["bin/gone.ts"] },
      "bin/gone.ts is gone since dist/cli was built",
    ],
  ])("with dist/cli %s, runs the sources through tsx and says why in one line", async (_case, built, why) => {
    // Prepare: a package root with the launcher, the sources (linked) and dist/cli as the case says.
    const root = await mkdtemp(join(tmpdir(), "guardian-launcher-"));
    try {
      await mkdir(join(root, "bin"));
      await copyFile(join(ROOT, "bin/aws-auth-guardian.mjs"), join(root, "bin/aws-auth-guardian.mjs"));
      await symlink(join(ROOT, "bin/cli.ts"), join(root, "bin/cli.ts"));
      await symlink(join(ROOT, "node_modules"), join(root, "node_modules"));
      if (built) {
        await mkdir(join(root, "dist/cli"), { recursive: true });
        await writeFile(join(root, "dist/cli/inputs.json"), JSON.stringify(built));
      }

      // Act
      const { stdout, stderr } = await execFileAsync(process.execPath, [
        join(root, "bin/aws-auth-guardian.mjs"),
        "--version",
      ]);

      // Assess
      expect(stdout).toBe(`${packageJson.version}\n`);
      expect(stderr).toBe(
        `aws-auth-guardian: ${why}; running the TypeScript sources through tsx (npm run build makes it start faster)\n`,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.each([[["demo"]], [["analyze", "test/fixtures/audit/derived/classify/done-when.jsonl"]]])(
    "%j | head ends quietly when the reader goes away",
    async (args) => {
      // Act
      const result = await binary(args, { closedStdout: true });

      // Assess: no error nor stack trace (analyze's summary may still reach stderr), the status of a
      // process whose pipe broke.
      expect(result.stderr).not.toMatch(/EPIPE|error|\n\s+at /i);
      expect(result.code).toBe(141);
    },
  );

  it("prints no SDK notice about Node versions, and --region reaches the S3 store", async () => {
    // Prepare: an S3 endpoint that records the request's signature scope and denies it.
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(403, { "content-type": "application/xml" });
      response.end("<Error><Code>AccessDenied</Code><Message>denied</Message></Error>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;

    // Act
    const result = await binary(["history", "--store", "s3://guardian-store", "--region", "eu-west-3"], {
      env: {
        AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_REGION: "us-east-1",
      },
    });
    server.close();

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*denied/);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|node >=/);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]?.authorization).toContain("/eu-west-3/s3/aws4_request");
  });
});
