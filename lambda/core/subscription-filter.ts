/**
 * The CloudWatch Logs subscription filter that feeds the guardian: the ONE definition of which log events
 * of `/aws/eks/<cluster>/cluster` reach the Lambda. Imported at runtime by the discovery Lambda (which puts
 * the filter on each cluster's log group) and at synth time by the CDK stack; keep it free of CDK imports.
 *
 * It passes every audit event of a request that writes `kube-system/configmaps/aws-auth`, whatever the
 * outcome (200, 201, 403, 404, 409, 422: the guardian reports attempts), and nothing else:
 *
 * - `create`, `update`, `patch`, `delete` of the ConfigMap named aws-auth. `objectRef.name` comes from the
 *   URL for update/patch/delete and, for create (collection URL), from the decoded body, so a create that
 *   is refused before the body is read (401/403) carries no name and is NOT passed (see "Gaps").
 * - `deletecollection` of ConfigMaps in kube-system (`kubectl delete cm --all -n kube-system`): it carries
 *   no name but deletes aws-auth all the same.
 * - A server-side dry run (`?dryRun=All`) is passed: it is still a `patch`/`update` of aws-auth, and any
 *   exclusion by substring of `requestURI` could be dodged with another query parameter holding the same
 *   text. The Lambda parses `requestURI` and decides.
 * - get/list/watch never pass (a list or watch with `fieldSelector=metadata.name=aws-auth` carries
 *   `objectRef.name` aws-auth too, hence the write verbs are listed one by one), nor any other ConfigMap,
 *   namespace, resource (a Secret named aws-auth), API group (a CRD whose plural is `configmaps`),
 *   subresource, or any non-JSON line (authenticator, scheduler and controller-manager streams share the
 *   log group).
 * - Every stage passes (no `$.stage` clause): a `Panic` event is an attempt too. EKS's aws-auth rule omits
 *   `RequestReceived`; should another stage of the same request ever arrive, it shares the `auditID`, and
 *   the consumer must keep the event with `stage: ResponseComplete`, not merely the first one seen.
 *
 * Syntax (CloudWatch Logs "Filter and pattern syntax", JSON section): `=` on a string is an exact,
 * case-sensitive match unless the value starts or ends with `*`; this pattern has no wildcard, no regex and
 * no `!=` (whose result on a missing property the documentation does not state). Values with characters
 * other than letters and digits are quoted. `NOT EXISTS` is true only when the property is absent. `&&`
 * binds tighter than `||`; every clause is parenthesised anyway, exactly as aws-cdk-lib's
 * `FilterPattern.all/any` render it (a test checks that). Limit: 1,024 characters (this is ~330).
 *
 * Gaps (tested in test/core/subscription-filter.test.ts):
 * - An audit line cut off by CloudWatch's event size limit (ends in `[Truncated...]`) is not JSON, and a
 *   JSON pattern never matches a non-JSON message. The scheduled verify/drift check notices the change.
 * - A create refused before its body is decoded (401/403) has no `objectRef.name` and cannot be told apart
 *   from a refused create of any other kube-system ConfigMap, so it is not passed. It changed nothing, so
 *   only the attempt goes unreported.
 */
export const AWS_AUTH_WRITE_FILTER_PATTERN =
  "{ " +
  // The object: ConfigMaps in kube-system. Both come from the URL, so they are set on every event of the
  // request, refused ones included.
  '($.objectRef.resource = "configmaps")' +
  ' && ($.objectRef.namespace = "kube-system")' +
  // The core API group (`/api/v1`). The audit ObjectReference omits `apiGroup` when it is the core group
  // (Go `omitempty`, never `""`); a CRD whose plural is also `configmaps` carries its group here.
  " && ($.objectRef.apiGroup NOT EXISTS)" +
  // The object itself, not a subresource (omitted when empty, like apiGroup). ConfigMaps have none: a
  // request for `configmaps/aws-auth/<x>` is a 404 that writes nothing.
  " && ($.objectRef.subresource NOT EXISTS)" +
  " && (" +
  // aws-auth by name with a write verb. The name comes from the URL for update/patch/delete and from the
  // decoded body for create (its URL is the collection's).
  '(($.objectRef.name = "aws-auth")' +
  ' && (($.verb = "create") || ($.verb = "update") || ($.verb = "patch") || ($.verb = "delete")))' +
  // Or a delete of the whole collection (`kubectl delete cm --all -n kube-system`): no name, but it
  // deletes aws-auth all the same.
  ' || ($.verb = "deletecollection")' +
  ")" +
  " }";

/** The log group EKS writes control-plane logs to (audit, authenticator, scheduler, ...) for `cluster`. */
export const AUDIT_LOG_GROUP = (cluster: string): string => `/aws/eks/${cluster}/cluster`;
