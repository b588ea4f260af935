/**
 * The README's "Trying the toolbox without AWS" walkthrough, run as a newcomer would: every
 * `npx aws-auth-guardian` line of its first block, in order, through the real binary, in an empty
 * folder, with no AWS credentials. It must reach a rendered report.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "shell-quote";
import { expect, it } from "vitest";

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The command lines of the section's first `sh` block that run the CLI, comments removed. */
function walkthrough(): string[][] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Trying the toolbox without AWS"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .split("\n")
    .filter((line) => line.startsWith("npx aws-auth-guardian "))
    .map((line) =>
      parse(line.replace(/\s+#.*$/, ""))
        .map(String)
        .slice(2),
    );
}

it("runs from npm ci to a rendered report with no AWS", async () => {
  // Prepare
  const commands = walkthrough();
  expect(commands.map((c) => c[0])).toEqual(["demo", "history", "show", "diff", "report", "rules"]);
  const cwd = await mkdtemp(join(tmpdir(), "guardian-readme-"));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, AWS_EC2_METADATA_DISABLED: "true" };
  try {
    // Act
    const outputs: string[] = [];
    for (const args of commands) {
      const { stdout } = await execFileAsync(
        process.execPath,
        [join(ROOT, "bin/aws-auth-guardian.mjs"), ...args],
        {
          cwd,
          env,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      outputs.push(stdout);
    }

    // Assess
    const lastGood = /restore --cluster demo --to (\S+)\n$/.exec(outputs[0] ?? "")?.[1] ?? "";
    expect(lastGood).toMatch(/^\d{20}-[0-9a-f]{24}$/);
    expect(outputs[1]).toContain(`${lastGood}`);
    const page = await readFile(join(cwd, "demo.html"), "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain(`id="last-good"><a href="#v-`);
    expect(page).toContain(`>${lastGood}</a>`);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
