/**
 * A store for the report tests: the demo's history (`demo --store`), then a write by a hostile
 * caller (`analyze --store`): HTML, script and bidi characters in its username, user agent, session
 * and in the aws-auth entry it adds, as a writer of aws-auth could put them.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandDeps } from "../../bin/commands/io.js";
import {
  asRole,
  IDENTITY,
  jsonl,
  nodeManagerData,
  roleEntry,
  updateEvent,
  withRoles,
} from "../support/events.js";
import { runCli } from "./io.js";

/** Each would run a script, load something or reorder text if the page let it through as markup. */
export const PAYLOADS = {
  username: `<img src=x onerror="document.title='PWNED-img'">`,
  userAgent: `"><script>document.title='PWNED-script'</script>`,
  session: "javascript:document.title='PWNED-js'",
  mapped: `</pre><iframe src="https://evil.example/frame"></iframe>`,
  bidi: "admin\u202egnp.exe",
} as const;

export function run(argv: string[], deps: CommandDeps = {}) {
  return runCli(argv, { deps });
}

/** Files the demo and one hostile write in `store`; returns the demo's last good version id. */
export async function hostileDemoStore(store: string, dir: string, deps: CommandDeps = {}): Promise<string> {
  const demo = await run(["demo", "--store", store], deps);
  if (demo.code !== 0) throw new Error(`demo failed: ${demo.err}`);
  const lastGood = /restore --cluster demo --to (\S+)\n$/.exec(demo.out)?.[1];
  if (!lastGood) throw new Error("the demo printed no restore command");
  const identity = asRole(IDENTITY.ssoAdmin(), "contractor", "012345678901", PAYLOADS.username);
  identity.userAgent = PAYLOADS.userAgent;
  identity.user.extra = { ...identity.user.extra, sessionName: [PAYLOADS.session] };
  const event = updateEvent({
    auditID: "6f1c1a0e-5d0b-4f7e-9d8e-000000000300",
    at: "2026-11-22T14:00:00",
    resourceVersion: "300",
    identity,
    data: withRoles(
      nodeManagerData(),
      roleEntry("arn:aws:iam::012345678901:role/contractor", JSON.stringify(PAYLOADS.mapped), [
        "system:masters",
        JSON.stringify(PAYLOADS.bidi),
      ]),
    ),
  });
  const file = join(dir, "hostile.jsonl");
  await writeFile(file, jsonl([event]));
  const analyzed = await run(["analyze", file, "--store", store, "--cluster", "demo"], deps);
  if (analyzed.code !== 0) throw new Error(`analyze failed: ${analyzed.err}`);
  return lastGood;
}
