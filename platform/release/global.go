package release

import (
	"strings"
)

// GlobalState is where the regional release t reads its environment's global root (terraform/workload's
// global_state): the state of <env>_global/<team>/<any version>, key <team>/<env>-global/terraform.tfstate,
// in the bucket, region and endpoint of t's own state (one bucket per environment).
func (f *Flow) GlobalState(t *Target) (Backend, error) {
	b, err := f.Backend(t)
	if err != nil {
		return Backend{}, err
	}
	g := Release{Environment: t.Environment, Region: Global, Team: t.Team, Version: t.Version}
	s, err := g.Settings(f.Config.StatePrefix)
	if err != nil {
		return Backend{}, &InputError{Err: err}
	}
	b.Key = s.StateKey
	return b, nil
}

// StateVar is b as the value of terraform/workload's global_state variable, an HCL object: bucket, key,
// region, and the endpoint on an emulator (the s3 settings that go with it are the root's). A lock table
// or role is not part of it: reading a state takes no lock, and the role is the build's (UseRole).
func (b Backend) StateVar() string {
	fields := []string{"bucket = " + HCLString(b.Bucket), "key = " + HCLString(b.Key), "region = " + HCLString(b.Region)}
	if b.Endpoint != "" {
		fields = append(fields, "endpoint = "+HCLString(b.Endpoint))
	}
	return "{ " + strings.Join(fields, ", ") + " }"
}

// globalVars is the variable list of terraform/global: the environment's -var-file (which lists its
// regions) and VarFiles, then the tag's parts; no region and no zips (it deploys no function).
func (f *Flow) globalVars(t *Target, tfvars string) []string {
	vars := []string{"-var-file=" + tfvars}
	for _, f := range f.VarFiles {
		vars = append(vars, "-var-file="+f)
	}
	vars = append(vars, "-var", "environment="+t.Environment, "-var", "team="+t.Team, "-var", "release_version="+t.Version)
	if f.Config.Endpoint != "" {
		vars = append(vars, "-var", "aws_endpoint_url="+f.Config.Endpoint)
	}
	return vars
}
