package release

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Backend is the S3 backend configuration of one workload deployment, passed to `terraform init` as
// -backend-config=<file> (the workload root declares a partial backend). It is the one writer of
// workload backend settings: releases, the pipeline, the local stack and the end-to-end lifecycle test.
//
// It never sets encrypt or kms_key_id: with encrypt = true the S3 backend sends
// x-amz-server-side-encryption: AES256 on every write unless kms_key_id is also given, which would
// override the bucket's default SSE-KMS with the environment's key (modules/state-backend). Sending no
// encryption header lets the bucket default apply to the state, its lock file and digest, and needs no
// key ARN or alias here (an alias would resolve in the caller's account, wrong for a bucket elsewhere).
type Backend struct {
	Bucket string
	Key    string
	Region string // the bucket's region
	// LockTable is the DynamoDB lock table; empty: S3 lock files (use_lockfile).
	LockTable string
	// AssumeRoleARN, when set, is assumed for the state (session SessionName).
	AssumeRoleARN string
	SessionName   string
	// Endpoint, when set, is an emulator: every backend endpoint points there, with its flags.
	Endpoint string
}

// BackendOptions are the settings of a deployment that are not in its tag.
type BackendOptions struct {
	StateRegion   string // empty: the release region
	Locking       string // dynamodb (default) or lockfile
	AssumeRoleARN string
	Endpoint      string
}

// Backend derives the backend configuration of the release.
func (s Settings) Backend(o BackendOptions) (Backend, error) {
	b := Backend{Bucket: s.StateBucket, Key: s.StateKey, Region: s.Region, Endpoint: o.Endpoint}
	if s.Region == Global && o.StateRegion == "" {
		return Backend{}, fmt.Errorf("a global release has no region of its own: the state region (STATE_REGION, the region of %s) is required", s.StateBucket)
	}
	if o.StateRegion != "" {
		if err := CheckRegion(o.StateRegion); err != nil {
			return Backend{}, fmt.Errorf("state region: %w", err)
		}
		b.Region = o.StateRegion
	}
	switch o.Locking {
	case "", LockingDynamoDB:
		b.LockTable = s.LockTable
	case LockingLockfile:
	default:
		return Backend{}, fmt.Errorf("state locking %q: must be %s or %s", o.Locking, LockingDynamoDB, LockingLockfile)
	}
	if o.AssumeRoleARN != "" {
		if !roleARNPattern.MatchString(o.AssumeRoleARN) {
			return Backend{}, fmt.Errorf("assume role %q is not an IAM role ARN", o.AssumeRoleARN)
		}
		b.AssumeRoleARN, b.SessionName = o.AssumeRoleARN, "webhealth-"+s.Environment
	}
	if o.Endpoint != "" {
		if err := CheckEndpoint(o.Endpoint); err != nil {
			return Backend{}, fmt.Errorf("endpoint: %w", err)
		}
	}
	return b, nil
}

// HCL renders the backend configuration file.
func (b Backend) HCL() []byte {
	var w strings.Builder
	line := func(k, v string) { fmt.Fprintf(&w, "%s = %s\n", k, v) }
	line("bucket", HCLString(b.Bucket))
	line("key   ", HCLString(b.Key))
	line("region", HCLString(b.Region))
	if b.LockTable != "" {
		line("dynamodb_table", HCLString(b.LockTable))
	} else {
		line("use_lockfile", "true")
	}
	if b.AssumeRoleARN != "" {
		fmt.Fprintf(&w, "assume_role = {\n  role_arn     = %s\n  session_name = %s\n}\n", HCLString(b.AssumeRoleARN), HCLString(b.SessionName))
	}
	if b.Endpoint != "" {
		e := HCLString(b.Endpoint)
		fmt.Fprintf(&w, "endpoints = {\n  s3       = %s\n  dynamodb = %s\n  iam      = %s\n  sts      = %s\n}\n", e, e, e, e)
		w.WriteString("use_path_style              = true\n" +
			"skip_credentials_validation = true\n" +
			"skip_requesting_account_id  = true\n" +
			"skip_metadata_api_check     = true\n" +
			"skip_s3_checksum            = true\n")
	}
	return []byte(w.String())
}

// WriteFile writes the configuration to path (its directory is created), readable by the owner only.
func (b Backend) WriteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("backend config: %w", err)
	}
	if err := os.WriteFile(path, b.HCL(), 0o600); err != nil {
		return fmt.Errorf("backend config: %w", err)
	}
	return nil
}

// HCLString quotes s as an HCL string literal: quotes, backslashes and control characters escaped,
// and template sequences (${, %{) doubled so nothing is interpolated.
func HCLString(s string) string {
	var w strings.Builder
	w.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			w.WriteString(`\"`)
		case r == '\\':
			w.WriteString(`\\`)
		case r == '\n':
			w.WriteString(`\n`)
		case r == '\r':
			w.WriteString(`\r`)
		case r == '\t':
			w.WriteString(`\t`)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			w.WriteRune(r)
			w.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&w, `\u%04x`, r)
		default:
			w.WriteRune(r)
		}
	}
	w.WriteByte('"')
	return w.String()
}
