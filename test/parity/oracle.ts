/**
 * Builds and runs the Go oracle (test/parity/oracle/main.go) against Debian's go-yaml v2 and
 * sigs.k8s.io/yaml. Go is a test prerequisite: when it or the libraries are missing, this says
 * which Debian packages to install instead of skipping.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const GO_PACKAGES = "golang-go golang-gopkg-yaml.v2-dev golang-k8s-sigs-yaml-dev";
const GOPATH = process.env.PARITY_GOPATH ?? "/usr/share/gocode";
const here = dirname(fileURLToPath(import.meta.url));

export class OracleUnavailable extends Error {}

export interface OracleSection {
  status: "absent" | "clean" | "errors" | "dropped";
  errors?: string[];
}
export interface OracleAnswer {
  decision: "mapped" | "account" | "denied" | "none" | "invalid" | "ambiguous";
  username?: string;
  groups: string[];
}
export interface OracleOutput {
  sections: Record<"mapRoles" | "mapUsers" | "mapAccounts", OracleSection>;
  accounts: string[];
  answers: OracleAnswer[];
}

/** Compiles the oracle into a fresh temporary directory and returns the binary's path. */
export function buildOracle(): string {
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.error || go.status !== 0) {
    throw new OracleUnavailable(
      `the parity test needs Go to build its oracle: install the Debian packages ${GO_PACKAGES} (apt-get install ${GO_PACKAGES})`,
    );
  }
  for (const lib of ["gopkg.in/yaml.v2", "sigs.k8s.io/yaml"]) {
    if (!existsSync(join(GOPATH, "src", lib))) {
      throw new OracleUnavailable(
        `the parity test needs ${lib} under ${GOPATH}/src: install the Debian packages ${GO_PACKAGES} (or set PARITY_GOPATH)`,
      );
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "aws-auth-oracle-"));
  const binary = join(dir, "oracle");
  execFileSync("go", ["build", "-o", binary, "."], {
    cwd: join(here, "oracle"),
    env: {
      ...process.env,
      GO111MODULE: "off",
      GOPATH,
      GOCACHE: process.env.GOCACHE ?? join(dir, "cache"),
      GOFLAGS: "",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return binary;
}

/** One process run for the whole corpus. */
export function runOracle(
  binary: string,
  inputs: Array<{ data: Record<string, string>; probes: string[] }>,
): OracleOutput[] {
  const out = execFileSync(binary, [], {
    input: JSON.stringify(inputs),
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  return JSON.parse(out) as OracleOutput[];
}
