/**
 * The caller's side of the gate: adds to each write request for the cluster-access function the proof of
 * who sends it (caller-proof.ts), signed over exactly that request. The CLI wraps its Lambda Invoke with it;
 * any other caller can do the same with its own credentials.
 */
import type { AwsCredentials } from "../cluster/eks-token.js";
import { createCallerProof } from "./caller-proof.js";
import { parseClusterAccessEvent, writeBinding } from "./create-handler.js";

export interface Prover {
  /** The identity that invokes the function: the proof must name the same caller. */
  readonly credentials: () => Promise<AwsCredentials>;
  /** The function's region. */
  readonly region: () => Promise<string>;
  /** @default - the regional STS endpoint */
  readonly stsEndpoint?: string;
}

/**
 * `event` with a `proof` when it writes for its caller (`restore`, `restore-access-entries`); other events (capture, verify) and events the function would
 * refuse as malformed go unchanged, so that the function's own error names what is wrong.
 */
export async function proveRequest<E>(event: E, prover: Prover): Promise<E> {
  let parsed: ReturnType<typeof parseClusterAccessEvent>;
  try {
    parsed = parseClusterAccessEvent(event);
  } catch {
    return event;
  }
  if (parsed.action !== "restore" && parsed.action !== "restore-access-entries") return event;
  const proof = await createCallerProof({
    credentials: await prover.credentials(),
    region: await prover.region(),
    binding: writeBinding(parsed),
    ...(prover.stsEndpoint ? { stsEndpoint: prover.stsEndpoint } : {}),
  });
  return { ...event, proof };
}
