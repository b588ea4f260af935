/**
 * The aws-iam-authenticator's own log, as EKS ships it to CloudWatch (stream `authenticator-<hex>` in
 * `/aws/eks/<cluster>/cluster`): logrus text lines, `time="…" level=info msg="access granted"
 * arn="…" username="…" groups="[…]" …`. A successful login names the caller's canonical, path-less
 * ARN, the form aws-auth uses. Pure and total: a line that is not such a record yields undefined.
 */

export interface AccessGranted {
  /** The canonical ARN (`arn:aws:iam::A:role/NAME` for an assumed role). */
  arn: string;
  username?: string;
  time?: string;
}

/** `key=value` and `key="quoted \"value\""` pairs of one logrus text line. */
export function logrusFields(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const pair = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const match of line.matchAll(pair)) {
    const key = match[1] ?? "";
    const raw = match[2] ?? "";
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw.slice(1, -1);
      }
    }
    if (!(key in fields)) fields[key] = value;
  }
  return fields;
}

/** The login a line records, when it is an `access granted` line with an ARN. */
export function parseAccessGranted(line: string): AccessGranted | undefined {
  if (!line.includes("access granted")) return undefined;
  const fields = logrusFields(line);
  if (fields.msg !== "access granted" || !fields.arn?.startsWith("arn:")) return undefined;
  return {
    arn: fields.arn,
    ...(fields.username !== undefined ? { username: fields.username } : {}),
    ...(fields.time !== undefined ? { time: fields.time } : {}),
  };
}

/** The lower-cased ARNs that logged in, from any number of log lines. */
export function principalsSeen(lines: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  for (const line of lines) {
    const granted = parseAccessGranted(line);
    if (granted) seen.add(granted.arn.toLowerCase());
  }
  return seen;
}
