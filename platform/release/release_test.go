package release_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

var envs = []string{"dev", "beta", "prod"}

func TestParseValid(t *testing.T) {
	t.Parallel()
	rel := func(env, region, team, version string) release.Release {
		return release.Release{Environment: env, Region: region, Team: team, Version: version}
	}
	tests := []struct {
		tag  string
		want release.Release
	}{
		{"prod_eu-west-1/web/1.4.0", rel("prod", "eu-west-1", "web", "1.4.0")},
		{"refs/tags/prod_eu-west-1/web/1.4.0", rel("prod", "eu-west-1", "web", "1.4.0")},
		{"dev_us-east-1/payments-te/2.0.0-rc.1+build.5", rel("dev", "us-east-1", "payments-te", "2.0.0-rc.1+build.5")},
		{"beta_us-gov-west-1/ab/0.0.1", rel("beta", "us-gov-west-1", "ab", "0.0.1")},
		{"prod_cn-north-1/web/1.0.0", rel("prod", "cn-north-1", "web", "1.0.0")},
		{"prod_cn-northwest-1/web/1.0.0", rel("prod", "cn-northwest-1", "web", "1.0.0")},
		{"prod_eu-central-2/web/1.0.0", rel("prod", "eu-central-2", "web", "1.0.0")},
		{"prod_ap-southeast-5/web/1.0.0", rel("prod", "ap-southeast-5", "web", "1.0.0")},
		{"prod_il-central-1/web/1.0.0", rel("prod", "il-central-1", "web", "1.0.0")},
		{"prod_mx-central-1/web/1.0.0", rel("prod", "mx-central-1", "web", "1.0.0")},
		{"prod_ca-west-1/web/1.0.0", rel("prod", "ca-west-1", "web", "1.0.0")},
		{"prod_us-iso-east-1/web/1.0.0", rel("prod", "us-iso-east-1", "web", "1.0.0")},
		{"prod_us-isob-east-1/web/1.0.0", rel("prod", "us-isob-east-1", "web", "1.0.0")},
		{"prod_us-isof-south-1/web/1.0.0", rel("prod", "us-isof-south-1", "web", "1.0.0")},
		{"prod_eu-isoe-west-1/web/1.0.0", rel("prod", "eu-isoe-west-1", "web", "1.0.0")},
		{"prod_eusc-de-east-1/web/1.0.0", rel("prod", "eusc-de-east-1", "web", "1.0.0")},
		{"local_ap-northeast-3/web2/1.0.0-alpha", rel("local", "ap-northeast-3", "web2", "1.0.0-alpha")},
		{"prod_eu-west-1/" + strings.Repeat("a", 12) + "/10.20.30", rel("prod", "eu-west-1", strings.Repeat("a", 12), "10.20.30")},
		{"prod_eu-west-1/w9/1.0.0-0A.is.legal", rel("prod", "eu-west-1", "w9", "1.0.0-0A.is.legal")},
		{"prod_eu-west-1/a-b-c/1.0.0", rel("prod", "eu-west-1", "a-b-c", "1.0.0")},
		{"prod_eu-west-10/web/1.0.0", rel("prod", "eu-west-10", "web", "1.0.0")},
		{"prod_eu-west-1/web/1.0.0+0.build.1-rc.10000aaa-kk-0.1", rel("prod", "eu-west-1", "web", "1.0.0+0.build.1-rc.10000aaa-kk-0.1")},
		{"prod_eu-west-1/web/1.0.0-RC1", rel("prod", "eu-west-1", "web", "1.0.0-RC1")},
		{"dev_us-east-1/research/1.0", rel("dev", "us-east-1", "research", "1.0")},
		{"dev_ap-southeast-1/risk/1.0", rel("dev", "ap-southeast-1", "risk", "1.0")},
		{"dev_global/research/1.0", rel("dev", "global", "research", "1.0")},
		{"refs/tags/prod_global/web/10.20-rc.1+b.2", rel("prod", "global", "web", "10.20-rc.1+b.2")},
		{"beta_eu-west-1/web/0.1", rel("beta", "eu-west-1", "web", "0.1")},
	}
	for _, tc := range tests {
		t.Run(tc.tag, func(t *testing.T) {
			t.Parallel()
			got, err := release.Parse(tc.tag, envs)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, strings.TrimPrefix(tc.tag, "refs/tags/"), got.String())
		})
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tag     string
		problem string // the part between the tag and the expected form
	}{
		{"empty", "", "tag is empty"},
		{"only the ref prefix", "refs/tags/", "tag is empty after refs/tags/"},
		{"branch ref", "refs/heads/main", "is a ref but not a tag ref (refs/tags/...)"},
		{"too long", "prod_eu-west-1/web/1.0.0+" + strings.Repeat("a", 240), "tag is 265 bytes long, at most 256 are allowed"},
		{"leading space", " prod_eu-west-1/web/1.4.0", "contains whitespace at byte 0"},
		{"trailing newline", "prod_eu-west-1/web/1.4.0\n", "contains whitespace at byte 24"},
		{"inner space", "prod_eu-west-1/web /1.4.0", "contains whitespace at byte 18"},
		{"tab", "prod_eu-west-1/web/\t1.4.0", "contains whitespace at byte 19"},
		{"one part", "prod_eu-west-1", "has 1 of the 3 parts separated by / (missing <team> and <version>)"},
		{"one part, global", "dev_global", "has 1 of the 3 parts separated by / (missing <team> and <version>)"},
		{"two parts", "prod_eu-west-1/web", "has 2 of the 3 parts separated by / (missing <version>)"},
		{"extra part", "prod_eu-west-1/web/1.4.0/extra", "has 4 parts separated by /, not 3"},
		{"extra leading part", "release/prod_eu-west-1/web/1.4.0", "has 4 parts separated by /, not 3"},
		{"leading slash", "/prod_eu-west-1/web/1.4.0", "starts with /"},
		{"trailing slash", "prod_eu-west-1/web/1.4.0/", "ends with /"},
		{"empty team", "prod_eu-west-1//1.4.0", "has an empty part between //"},
		{"env and region joined by hyphen", "prod-eu-west-1/web/1.0", `environment and region must be joined by "_"`},
		{"no environment", "eu-west-1/web/1.4.0", `first part "eu-west-1" is not <env>_<region> or <env>_global`},
		{"global without environment", "global/web/1.0", `first part "global" is not <env>_<region> or <env>_global`},
		{"upper-case global", "dev_Global/web/1.0", `"Global" must be lower case: global`},
		{"global joined to a region", "dev_global-eu-west-1/web/1.0", `region "global-eu-west-1" is not an AWS region name such as eu-west-1, us-east-1, us-gov-west-1 or cn-north-1, or global for the environment's global resources`},
		{"global with extra part", "dev_global/web/1.0/x", "has 4 parts separated by /, not 3"},
		{"traversal", "dev_global/../1.0", `team ".." is not a team name`},
		{"traversal in the version", "dev_global/web/..", `version ".." is not a release version`},
		{"unknown environment", "staging_eu-west-1/web/1.4.0", `environment "staging" is not one of dev, beta, prod (ENVIRONMENTS) or local (the local stack's)`},
		{"unknown environment of a global tag", "qa_global/web/1.0", `environment "qa" is not one of dev, beta, prod (ENVIRONMENTS) or local (the local stack's)`},
		{"empty environment", "_eu-west-1/web/1.4.0", `environment "" is not one of dev, beta, prod`},
		{"upper-case local", "LOCAL_eu-west-1/web/1.4.0", `environment "LOCAL" must be lower case`},
		{"upper-case environment", "PROD_eu-west-1/web/1.4.0", `environment "PROD" must be lower case`},
		{"upper-case region", "prod_EU-WEST-1/web/1.4.0", `region "EU-WEST-1" must be lower case`},
		{"region without number", "prod_eu-west/web/1.4.0", `region "eu-west" is not an AWS region name such as eu-west-1, us-east-1, us-gov-west-1 or cn-north-1`},
		{"availability zone", "prod_eu-west-1a/web/1.4.0", `region "eu-west-1a" is not an AWS region name`},
		{"region number zero", "prod_eu-west-0/web/1.4.0", `region "eu-west-0" is not an AWS region name`},
		{"unknown geography", "prod_xx-west-1/web/1.4.0", `region "xx-west-1" is not an AWS region name`},
		{"unknown direction", "prod_eu-up-1/web/1.4.0", `region "eu-up-1" is not an AWS region name`},
		{"partition without direction", "prod_us-gov-1/web/1.4.0", `region "us-gov-1" is not an AWS region name`},
		{"region with underscores", "prod_eu_west_1/web/1.4.0", `region "eu_west_1" is not an AWS region name`},
		{"empty region", "prod_/web/1.4.0", `region "" is not an AWS region name`},
		{"upper-case team", "prod_eu-west-1/Web/1.4.0", `team "Web" must be lower case`},
		{"team starts with hyphen", "prod_eu-west-1/-web/1.4.0", `team "-web" is not a team name (2-12 lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit)`},
		{"team ends with hyphen", "prod_eu-west-1/web-/1.4.0", `team "web-" is not a team name`},
		{"team starts with digit", "prod_eu-west-1/9web/1.4.0", `team "9web" is not a team name`},
		{"team of one letter", "prod_eu-west-1/a/1.4.0", `team "a" is not a team name`},
		{"team too long", "prod_eu-west-1/" + strings.Repeat("a", 13) + "/1.4.0", `team "` + strings.Repeat("a", 13) + `" is not a team name`},
		{"team with double hyphen", "prod_eu-west-1/web--ops/1.4.0", `team "web--ops" is not a team name`},
		{"upper-case team with double hyphen", "prod_eu-west-1/Web--ops/1.4.0", `team "Web--ops" is not a team name`},
		{"team with underscore", "prod_eu-west-1/web_team/1.4.0", `team "web_team" is not a team name`},
		{"team with dot", "prod_eu-west-1/web.team/1.4.0", `team "web.team" is not a team name`},
		{"version one number", "prod_eu-west-1/web/1", `version "1" is not a release version (MAJOR.MINOR or MAJOR.MINOR.PATCH with optional -pre-release and +build and no leading v, e.g. 1.0, 1.4.0 or 2.0.0-rc.1)`},
		{"version four numbers", "prod_eu-west-1/web/1.4.0.1", `version "1.4.0.1" is not a release version`},
		{"version two numbers, leading zero", "prod_eu-west-1/web/1.04", `version "1.04" is not a release version`},
		{"version two numbers, trailing dot", "prod_eu-west-1/web/1.4.", `version "1.4." is not a release version`},
		{"version leading v", "prod_eu-west-1/web/v1.4.0", `version "v1.4.0" has a leading v: write 1.4.0 (MAJOR.MINOR or MAJOR.MINOR.PATCH with optional -pre-release and +build and no leading v, e.g. 1.0, 1.4.0 or 2.0.0-rc.1)`},
		{"version leading v with pre-release", "prod_eu-west-1/web/v2.0.0-rc.1", `version "v2.0.0-rc.1" has a leading v: write 2.0.0-rc.1`},
		{"version leading v, two numbers", "dev_global/research/v1.0", `version "v1.0" has a leading v: write 1.0`},
		{"version leading v, one number", "prod_eu-west-1/web/v1", `version "v1" is not a release version`},
		{"version leading zero", "prod_eu-west-1/web/01.4.0", `version "01.4.0" is not a release version`},
		{"version upper-case V", "prod_eu-west-1/web/V1.4.0", `version "V1.4.0" is not a release version`},
		{"version empty pre-release", "prod_eu-west-1/web/1.4.0-", `version "1.4.0-" is not a release version`},
		{"version numeric pre-release with leading zero", "prod_eu-west-1/web/1.4.0-01", `version "1.4.0-01" is not a release version`},
		{"version empty build", "prod_eu-west-1/web/1.4.0+", `version "1.4.0+" is not a release version`},
		{"version word", "prod_eu-west-1/web/latest", `version "latest" is not a release version`},
		{"version too long", "prod_eu-west-1/web/1.0.0+" + strings.Repeat("b", 130), `version is 136 bytes long, at most 128 are allowed`},
		{"semicolon", "prod_eu-west-1/web/1.4.0;rm", `contains ';': only letters, digits and . _ - + / are allowed`},
		{"command substitution", "prod_eu-west-1/web/$(id)", `contains '$'`},
		{"backtick", "prod_eu-west-1/`id`/1.4.0", "contains '`'"},
		{"ampersand", "prod_eu-west-1/web/1.4.0&&x", `contains '&'`},
		{"pipe", "prod_eu-west-1/web/1.4.0|x", `contains '|'`},
		{"single quote", "prod_eu-west-1/web/1.4.0'", `contains '\''`},
		{"double quote", `prod_eu-west-1/web/"1.4.0"`, `contains '"'`},
		{"glob", "prod_eu-west-1/*/1.4.0", `contains '*'`},
		{"redirect", "prod_eu-west-1/web/1.4.0>x", `contains '>'`},
		{"make comment", "prod_eu-west-1/web/1.4.0#x", `contains '#'`},
		{"assignment", "prod_eu-west-1/web/1.4.0=x", `contains '='`},
		{"backslash", `prod_eu-west-1\web\1.4.0`, `contains '\\'`},
		{"NUL", "prod_eu-west-1/web/1.4.0\x00", `contains '\x00'`},
		{"escape sequence", "prod_eu-west-1/web/\x1b[31m1.4.0", `contains '\x1b'`},
		{"non-ASCII look-alike", "prod_eu-west-1/wéb/1.4.0", `contains 'é'`},
		{"colon", "prod_eu-west-1/web:x/1.4.0", `contains ':'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := release.Parse(tc.tag, envs)
			require.Error(t, err)
			assert.Equal(t, release.Release{}, got)
			require.ErrorIs(t, err, release.ErrInvalidTag)
			var te *release.TagError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tc.tag, te.Tag)
			assert.True(t, strings.HasPrefix(te.Problem, tc.problem), "problem %q, want prefix %q", te.Problem, tc.problem)
			assert.True(t, strings.HasSuffix(err.Error(), ": expected <env>_<region>/<team>/<version> or <env>_global/<team>/<version>, e.g. prod_eu-west-1/web/1.4.0 or dev_global/research/1.0"), err.Error())
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := release.Parse("prod-eu-west-1/web/1.0", envs)
	assert.EqualError(t, err, `tag "prod-eu-west-1/web/1.0": environment and region must be joined by "_": expected <env>_<region>/<team>/<version> or <env>_global/<team>/<version>, e.g. prod_eu-west-1/web/1.4.0 or dev_global/research/1.0`)

	_, err = release.Parse("prod_eu-west-1/web/1.4.0\x1b[2J", envs)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\x1b", "the tag is quoted, so control characters never reach a terminal raw")
}

func TestParseEnvironments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		envs    []string
		wantErr string
	}{
		{"none", nil, "no environments configured"},
		{"upper case", []string{"dev", "Prod"}, `environment "Prod" is not an environment name`},
		{"underscore would be ambiguous", []string{"dev_eu"}, `environment "dev_eu" is not an environment name`},
		{"empty name", []string{""}, `environment "" is not an environment name`},
		{"named twice", []string{"dev", "qa", "dev"}, `environment "dev" is named twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := release.Parse("prod_eu-west-1/web/1.4.0", tc.envs)
			require.Error(t, err)
			assert.NotErrorIs(t, err, release.ErrInvalidTag, "a bad configuration is not the tag's fault")
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
	got, err := release.Parse("qa_eu-west-1/web/1.4.0", []string{"qa"})
	require.NoError(t, err)
	assert.Equal(t, "qa", got.Environment)
	_, err = release.Parse("prod_eu-west-1/web/1.4.0", []string{"qa"})
	require.ErrorIs(t, err, release.ErrInvalidTag)
	assert.Contains(t, err.Error(), `environment "prod" is not one of qa (ENVIRONMENTS) or local (the local stack's)`)
	// The seed's environment names, extended by the user; the local stack's is accepted whatever the list.
	for _, tag := range []string{"staging_global/web/1.0", "qa_us-east-1/web/1.0", "local_us-east-1/local/0.0.0-local"} {
		_, err := release.Parse(tag, []string{"dev", "qa", "staging", "prod"})
		require.NoError(t, err, tag)
	}
	_, err = release.Parse("beta_us-east-1/web/1.0", []string{"dev", "qa", "staging", "prod"})
	assert.ErrorContains(t, err, `environment "beta" is not one of dev, qa, staging, prod (ENVIRONMENTS)`)
	assert.Equal(t, []string{"dev", "beta", "prod"}, release.DefaultEnvironments, "the issue's default list")
}

func TestSettings(t *testing.T) {
	t.Parallel()
	r, err := release.Parse("refs/tags/prod_eu-west-1/web/1.4.0-rc.1+build.7", envs)
	require.NoError(t, err)
	s, err := r.Settings("webhealth-tfstate")
	require.NoError(t, err)
	assert.Equal(t, release.Settings{
		Environment: "prod", Region: "eu-west-1", Team: "web", Version: "1.4.0-rc.1+build.7",
		StateBucket: "webhealth-tfstate-prod", StateKey: "web/prod-eu-west-1/terraform.tfstate", LockTable: "webhealth-tfstate-lock-prod",
	}, s)

	// The seed's naming: <prefix>-<env>, <prefix>-lock-<env>, <team>/<env>-<region|global>/terraform.tfstate.
	for tag, key := range map[string]string{
		"dev_us-east-1/research/1.0":  "research/dev-us-east-1/terraform.tfstate",
		"dev_ap-southeast-1/risk/1.0": "risk/dev-ap-southeast-1/terraform.tfstate",
		"dev_global/research/1.0":     "research/dev-global/terraform.tfstate",
	} {
		r, err := release.Parse(tag, envs)
		require.NoError(t, err)
		s, err := r.Settings("acme-state")
		require.NoError(t, err)
		assert.Equal(t, key, s.StateKey, tag)
		assert.Equal(t, "acme-state-dev", s.StateBucket, tag)
		assert.Equal(t, "acme-state-lock-dev", s.LockTable, tag)
	}
}

var (
	safeValue = regexp.MustCompile(`^[A-Za-z0-9._+/-]+$`)
	safeKey   = regexp.MustCompile(`^[a-z][a-z0-9-]{1,11}/[a-z0-9-]+-[a-z0-9-]+/terraform\.tfstate$`)
	// versionShape: two or three dot-separated numbers without leading zeros first, whatever follows.
	versionShape = regexp.MustCompile(`^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?(?:[-+]|$)`)
)

// FuzzParse: Parse never panics; an accepted tag re-parses (with and without refs/tags/) to the same
// release, and its derived settings contain only shell- and key-safe characters; a rejected tag
// gets a TagError that shows the expected form.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"prod_eu-west-1/web/1.4.0", "refs/tags/dev_us-gov-west-1/a-b/2.0.0-rc.1+build.5", "prod-eu-west-1/web/1.0",
		"prod_eu-west-1/web/v1.4.0", "prod_eu-west-1/web--x/1.4.0",
		"", "/", "//", "prod_eu-west-1/web/1.4.0/", "prod_eu-west-1/web/$(id)", "PROD_EU-WEST-1/Web/V1.0.0",
		"local_eusc-de-east-1/xy/0.0.0-0", "beta_cn-northwest-1/a9/1.0.0+0", "refs/heads/x", "prod_eu-west-1/wéb/1.4.0",
		"dev_us-east-1/research/1.0", "dev_ap-southeast-1/risk/1.0", "dev_global/research/1.0", "dev_GLOBAL/research/1.0",
		"dev_global/research/../1.0", "prod_global/web/1.0-rc.1+b", "dev_us-east-1/research/1.00", "dev_global/x/v1.0",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		r, err := release.Parse(tag, envs)
		if err != nil {
			var te *release.TagError
			require.ErrorAs(t, err, &te)
			assert.Contains(t, err.Error(), "expected "+release.Form+", e.g. "+release.Example)
			assert.Equal(t, release.Release{}, r)
			return
		}
		again, err := release.Parse(r.String(), envs)
		require.NoError(t, err)
		assert.Equal(t, r, again)
		again, err = release.Parse("refs/tags/"+r.String(), envs)
		require.NoError(t, err)
		assert.Equal(t, r, again)
		assert.Equal(t, strings.TrimPrefix(tag, "refs/tags/"), r.String())

		assert.Regexp(t, versionShape, r.Version)
		assert.Equal(t, r.Region == release.Global, r.IsGlobal())

		s, err := r.Settings("webhealth-tfstate")
		require.NoError(t, err)
		assert.Regexp(t, safeKey, s.StateKey)
		assert.Equal(t, r.Team+"/"+r.Environment+"-"+r.Region+"/terraform.tfstate", s.StateKey)
		assert.Equal(t, "webhealth-tfstate-"+r.Environment, s.StateBucket)
		assert.Equal(t, "webhealth-tfstate-lock-"+r.Environment, s.LockTable)
		for _, v := range []string{s.Environment, s.Region, s.Team, s.Version, s.StateBucket, s.StateKey, s.LockTable} {
			assert.Regexp(t, safeValue, v)
		}
		lines, err := s.EnvLines()
		require.NoError(t, err)
		assert.Equal(t, 7, strings.Count(lines, "\n"))
	})
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := release.Parse("refs/tags/prod_eu-west-1/web/1.4.0-rc.1+build.7", envs); err != nil {
			b.Fatal(err)
		}
	}
}
