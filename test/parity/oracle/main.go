// Command oracle reads aws-auth ConfigMap data exactly as aws-iam-authenticator does and answers,
// for each caller ARN it is given, who that caller becomes. It is the reference side of the
// differential test in test/parity: the TypeScript model must give the same answers.
//
// It is written for this project, following kubernetes-sigs/aws-iam-authenticator at commit
// 81b1daba00d194c00d3cdd8b0a0fece5ba648d4e (v0.7.18-11); "file:line" below refers to that commit.
// The YAML libraries are Debian's: gopkg.in/yaml.v2 2.4.0 and sigs.k8s.io/yaml 1.3.0 (the
// authenticator pins sigs.k8s.io/yaml 1.6.0, which carries the same go-yaml v2 code as
// go.yaml.in/yaml/v2 2.4.x; YAMLToJSON and the conversion to JSON are unchanged between them).
//
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o oracle ./test/parity/oracle
//
// Input on stdin: a JSON array of {"data": {key: text}, "probes": [callerArn, ...]}.
// Output on stdout: a JSON array, one answer per input, in order.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"gopkg.in/yaml.v2"
	sigsyaml "sigs.k8s.io/yaml"
)

// SSOARNMatcher mirrors pkg/config/types.go:94-103.
type SSOARNMatcher struct {
	PermissionSetName string `json:"permissionSetName" yaml:"permissionSetName"`
	AccountID         string `json:"accountID" yaml:"accountID"`
	Partition         string `json:"partition,omitempty" yaml:"partition,omitempty"`
}

// RoleMapping mirrors pkg/config/types.go:46-64 (field names and json tags are what
// encoding/json matches keys against, case-insensitively).
type RoleMapping struct {
	RoleARN  string         `json:"rolearn,omitempty" yaml:"rolearn,omitempty"`
	SSO      *SSOARNMatcher `json:"sso,omitempty" yaml:"sso,omitempty"`
	Username string         `json:"username" yaml:"username"`
	Groups   []string       `json:"groups" yaml:"groups"`
	UserId   string         `json:"userid,omitempty" yaml:"userid,omitempty"`
}

// UserMapping mirrors pkg/config/types.go:68-80.
type UserMapping struct {
	UserARN  string   `json:"userarn" yaml:"userarn"`
	Username string   `json:"username" yaml:"username"`
	Groups   []string `json:"groups" yaml:"groups"`
	UserId   string   `json:"userid,omitempty" yaml:"userid,omitempty"`
}

// partitions is pkg/endpoints/partitions.go:23-32.
var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

func knownPartition(p string) bool {
	for _, x := range partitions {
		if x == p {
			return true
		}
	}
	return false
}

// ssoArnLike is pkg/config/mapper.go:18-29 (SSOArnLike): the partition is written only when
// none is given.
func (m *RoleMapping) ssoArnLike() string {
	if m.SSO == nil {
		return ""
	}
	var partition string
	if m.SSO.Partition == "" {
		partition = "aws"
	}
	return strings.ToLower(fmt.Sprintf("arn:%s:iam::%s:role/AWSReservedSSO_%s_*", partition, m.SSO.AccountID, m.SSO.PermissionSetName))
}

var accountIDRegexp = regexp.MustCompile("^[0-9]{12}$")
var permissionSetNameRegexp = regexp.MustCompile(`^[\w+=,.@-]{1,32}$`)

// validate is pkg/config/mapper.go:32-69. The final ArnLike check against
// "arn:*:iam:*:*:role/*" always passes for a pattern built by ssoArnLike from a valid account and
// permission set name (every section is matched by ^.*$ and the resource starts with "role/").
func (m *RoleMapping) validate() error {
	if m.RoleARN == "" && m.SSO == nil {
		return fmt.Errorf("one of rolearn or SSO must be supplied")
	} else if m.RoleARN != "" && m.SSO != nil {
		return fmt.Errorf("only one of rolearn or SSO can be supplied")
	}
	if m.SSO != nil {
		if !accountIDRegexp.MatchString(m.SSO.AccountID) {
			return fmt.Errorf("AccountID '%s' is not a valid AWS Account ID", m.SSO.AccountID)
		}
		if !permissionSetNameRegexp.MatchString(m.SSO.PermissionSetName) {
			return fmt.Errorf("PermissionSetName '%s' is not a valid AWS SSO PermissionSet Name", m.SSO.PermissionSetName)
		}
		if m.SSO.Partition != "" && !knownPartition(m.SSO.Partition) {
			return fmt.Errorf("partition '%s' is not a valid AWS partition", m.SSO.Partition)
		}
	}
	return nil
}

// key is pkg/config/mapper.go:94-99: the lower-cased ARN, or the SSO pattern. Literal role ARNs
// and SSO patterns share one key space in MapStore.roles.
func (m *RoleMapping) key() string {
	if m.RoleARN != "" {
		return strings.ToLower(m.RoleARN)
	}
	return m.ssoArnLike()
}

// matches is pkg/config/mapper.go:73-90 with SSORoleMatchEnabled false (its default upstream):
// an SSO entry never matches.
func (m *RoleMapping) matches(subject string) bool {
	if m.RoleARN != "" {
		return strings.EqualFold(m.RoleARN, subject)
	}
	return false
}

// validate is pkg/config/mapper.go:111-121.
func (m *UserMapping) validate() error {
	if m.UserARN == "" {
		return fmt.Errorf("value for userarn must be supplied")
	}
	return nil
}

// toJSON is k8s.io/apimachinery pkg/util/yaml ToJSON, which configmap.go:129,154 call: data whose
// first non-space byte is '{' is taken as JSON as it is; anything else goes through
// sigs.k8s.io/yaml YAMLToJSON (go-yaml v2 Unmarshal into interface{}, then JSON).
func toJSON(data []byte) ([]byte, error) {
	if bytes.HasPrefix(bytes.TrimLeftFunc(data, unicode.IsSpace), []byte("{")) {
		return data, nil
	}
	return sigsyaml.YAMLToJSON(data)
}

// isSkippable is pkg/mapper/configmap/configmap.go:192-195.
func isSkippable(data string) bool {
	trimmed := strings.TrimSpace(data)
	return trimmed == "" || trimmed == "``" || trimmed == "\"\"" || trimmed == "''"
}

// Section is how one data key fared: "absent", "clean" (no error), "errors" (the authenticator
// logs an error but keeps some entries) or "dropped" (an error and no entry at all).
type Section struct {
	Status string   `json:"status"`
	Errors []string `json:"errors,omitempty"`
}

func sectionOf(present bool, errs []error, raw int) Section {
	if !present {
		return Section{Status: "absent"}
	}
	if len(errs) == 0 {
		return Section{Status: "clean"}
	}
	s := Section{Status: "errors"}
	if raw == 0 {
		s.Status = "dropped"
	}
	for _, e := range errs {
		s.Errors = append(s.Errors, e.Error())
	}
	return s
}

type store struct {
	users    map[string]UserMapping
	roles    map[string]RoleMapping
	accounts map[string]bool
}

// parseMap follows pkg/mapper/configmap/configmap.go:123-190 (ParseMap) section by section, and
// saveMap (configmap.go:228-248) to key the valid entries.
func parseMap(m map[string]string) (map[string]Section, store) {
	sections := map[string]Section{}
	st := store{users: map[string]UserMapping{}, roles: map[string]RoleMapping{}, accounts: map[string]bool{}}

	{
		var errs []error
		raw := make([]UserMapping, 0)
		userData, ok := m["mapUsers"]
		if ok && !isSkippable(userData) {
			userJSON, err := toJSON([]byte(userData))
			if err != nil {
				errs = append(errs, err)
			} else {
				if err := json.Unmarshal(userJSON, &raw); err != nil {
					errs = append(errs, err)
				}
				for _, u := range raw {
					if err := u.validate(); err != nil {
						errs = append(errs, err)
					} else {
						st.users[u.UserARN] = u // configmap.go:239-241, UserMapping.Key is the ARN as written
					}
				}
			}
		}
		sections["mapUsers"] = sectionOf(ok, errs, len(raw))
	}
	{
		var errs []error
		raw := make([]RoleMapping, 0)
		roleData, ok := m["mapRoles"]
		if ok && !isSkippable(roleData) {
			roleJSON, err := toJSON([]byte(roleData))
			if err != nil {
				errs = append(errs, err)
			} else {
				if err := json.Unmarshal(roleJSON, &raw); err != nil {
					errs = append(errs, err)
				}
				for _, r := range raw {
					r := r
					if err := r.validate(); err != nil {
						errs = append(errs, err)
					} else {
						st.roles[r.key()] = r // configmap.go:242-244
					}
				}
			}
		}
		sections["mapRoles"] = sectionOf(ok, errs, len(raw))
	}
	{
		var errs []error
		accounts := make([]string, 0)
		accountsData, ok := m["mapAccounts"]
		if ok && !isSkippable(accountsData) {
			// configmap.go:178: go-yaml v2 straight into []string, no JSON step.
			if err := yaml.Unmarshal([]byte(accountsData), &accounts); err != nil {
				errs = append(errs, err)
			}
		}
		for _, a := range accounts {
			st.accounts[a] = true
		}
		sections["mapAccounts"] = sectionOf(ok, errs, len(accounts))
	}
	return sections, st
}

// Answer is what the authenticator does with one caller.
type Answer struct {
	// Decision is "mapped", "account", "denied" (a match whose template cannot render), "none"
	// (not mapped), "invalid" (the caller ARN is not one the authenticator accepts) or
	// "ambiguous" (several entries match with different results: map iteration order decides).
	Decision string   `json:"decision"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups"`
}

// canonicalize is pkg/arn/arn.go:38-80 over aws-sdk-go-v2 arn.Parse (prefix "arn:", six
// sections). It returns the canonical ARN and the session name (token.go:758-763 takes it from
// the UserID "ROLEID:SESSION", which for an assumed role is the ARN's last segment).
func canonicalize(arn string) (canonical, account, session string, ok bool) {
	if !strings.HasPrefix(arn, "arn:") {
		return "", "", "", false
	}
	sections := strings.SplitN(arn, ":", 6)
	if len(sections) != 6 {
		return "", "", "", false
	}
	partition, service, account, resource := sections[1], sections[2], sections[4], sections[5]
	if !knownPartition(partition) {
		return "", "", "", false
	}
	parts := strings.Split(resource, "/")
	switch service {
	case "sts":
		switch parts[0] {
		case "federated-user":
			return arn, account, "", true
		case "assumed-role":
			if len(parts) < 3 {
				return "", "", "", false
			}
			role := strings.Join(parts[1:len(parts)-1], "/")
			return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, role), account, parts[len(parts)-1], true
		}
	case "iam":
		switch parts[0] {
		case "role", "user", "root":
			return arn, account, "", true
		}
	}
	return "", "", "", false
}

// instanceIDPattern is pkg/server/server.go:67.
var instanceIDPattern = regexp.MustCompile(`^i-(\w{8}|\w{17})$`)

// renders reports whether server.go:529-547 renderTemplate succeeds for every pattern: only
// {{EC2PrivateDNSName}} can fail, when the session name is not an instance id.
func renders(patterns []string, session string) bool {
	for _, p := range patterns {
		if strings.Contains(p, "{{EC2PrivateDNSName}}") && !instanceIDPattern.MatchString(session) {
			return false
		}
	}
	return true
}

func sameAnswer(a, b Answer) bool {
	if a.Username != b.Username || len(a.Groups) != len(b.Groups) {
		return false
	}
	for i := range a.Groups {
		if a.Groups[i] != b.Groups[i] {
			return false
		}
	}
	return true
}

// resolve follows server.go:476-505 (doMapping) with the ConfigMap mapper's Map
// (pkg/mapper/configmap/mapper.go:46-69): roles first, then users, each by EqualFold on the
// lower-cased canonical ARN (MapStore.RoleMapping/UserMapping, configmap.go:257-278, iterate a Go
// map: when several entries match, which one wins is random); then mapAccounts.
func resolve(st store, caller string) Answer {
	canonical, account, session, ok := canonicalize(caller)
	if !ok {
		return Answer{Decision: "invalid", Groups: []string{}}
	}
	subject := strings.ToLower(canonical)
	var found []Answer
	for _, r := range st.roles {
		if r.matches(subject) {
			found = append(found, Answer{Decision: "mapped", Username: r.Username, Groups: nonNil(r.Groups)})
		}
	}
	if len(found) == 0 {
		for _, u := range st.users {
			if strings.EqualFold(u.UserARN, subject) {
				found = append(found, Answer{Decision: "mapped", Username: u.Username, Groups: nonNil(u.Groups)})
			}
		}
	}
	if len(found) > 0 {
		for _, f := range found[1:] {
			if !sameAnswer(f, found[0]) {
				return Answer{Decision: "ambiguous", Groups: []string{}}
			}
		}
		a := found[0]
		if !renders(append([]string{a.Username}, a.Groups...), session) {
			return Answer{Decision: "denied", Username: a.Username, Groups: a.Groups}
		}
		return a
	}
	if st.accounts[account] {
		return Answer{Decision: "account", Username: canonical, Groups: []string{}}
	}
	return Answer{Decision: "none", Groups: []string{}}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type input struct {
	Data   map[string]string `json:"data"`
	Probes []string          `json:"probes"`
}

type output struct {
	Sections map[string]Section `json:"sections"`
	Accounts []string           `json:"accounts"`
	Answers  []Answer           `json:"answers"`
}

func main() {
	var inputs []input
	if err := json.NewDecoder(bufio.NewReader(os.Stdin)).Decode(&inputs); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: cannot read input:", err)
		os.Exit(2)
	}
	outputs := make([]output, 0, len(inputs))
	for _, in := range inputs {
		sections, st := parseMap(in.Data)
		accounts := make([]string, 0, len(st.accounts))
		for a := range st.accounts {
			accounts = append(accounts, a)
		}
		sort.Strings(accounts)
		answers := make([]Answer, 0, len(in.Probes))
		for _, p := range in.Probes {
			answers = append(answers, resolve(st, p))
		}
		outputs = append(outputs, output{Sections: sections, Accounts: accounts, Answers: answers})
	}
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(outputs); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: cannot write output:", err)
		os.Exit(2)
	}
	w.Flush()
}
