package sim

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func init() {
	register(SvcSSM, "GetParameter", (*Sim).ssmGetParameter)
	register(SvcSSM, "GetParameters", (*Sim).ssmGetParameters)
	register(SvcSSM, "GetParametersByPath", (*Sim).ssmGetParametersByPath)
}

func validSSMName(name string) error {
	if name == "" || len(name) > 2048 {
		return apiErr("ValidationException", "Parameter name must be between 1 and 2048 characters.")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-/", r)) {
			return apiErr("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
		}
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return apiErr("ValidationException", "Parameter name must be a fully qualified name.")
	}
	return nil
}

func (s *Sim) ssmArn(name string) string {
	res := "parameter/" + strings.TrimPrefix(name, "/")
	if strings.HasPrefix(name, "/aws/service/") {
		// AWS public parameters have no account in their ARN.
		return "arn:aws:ssm:" + s.Region + "::" + res
	}
	return s.arn("ssm", res)
}

// ssmResolve finds name or name:version. ok is false when the parameter or
// the version does not exist; versionErr reports a missing version.
func (s *Sim) ssmResolve(full string) (ssmtypes.Parameter, bool, *APIError) {
	name, selector := full, ""
	if i := strings.LastIndex(full, ":"); i > 0 {
		name, selector = full[:i], full[i+1:]
	}
	p := s.ssm.Params[name]
	if p == nil || len(p.Versions) == 0 {
		return ssmtypes.Parameter{}, false, nil
	}
	v := p.Versions[len(p.Versions)-1]
	if selector != "" {
		n, err := strconv.ParseInt(selector, 10, 64)
		if err != nil {
			// Labels are not modelled: no parameter has one.
			return ssmtypes.Parameter{}, false, apiErr("ParameterVersionLabelNotFound", "Systems Manager could not find the specified label %s with the parameter %s.", selector, name)
		}
		found := false
		for _, x := range p.Versions {
			if x.Version == n {
				v, found = x, true
			}
		}
		if !found {
			return ssmtypes.Parameter{}, false, apiErr("ParameterVersionNotFound", "Systems Manager could not find version %d of %s. Verify the version and try again.", n, name)
		}
	}
	out := ssmtypes.Parameter{
		Name:             aws.String(name),
		Type:             ssmtypes.ParameterTypeString,
		Value:            aws.String(v.Value),
		Version:          v.Version,
		DataType:         aws.String(v.DataType),
		LastModifiedDate: aws.Time(v.LastModified),
		ARN:              aws.String(s.ssmArn(name)),
	}
	if selector != "" {
		out.Selector = aws.String(":" + selector)
	}
	return out, true, nil
}

func (s *Sim) ssmGetParameter(in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
	name := aws.ToString(in.Name)
	if name == "" {
		return nil, apiErr("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	p, ok, verr := s.ssmResolve(name)
	if verr != nil {
		return nil, verr
	}
	if !ok {
		return nil, apiErr("ParameterNotFound", "Parameter %s not found.", name)
	}
	return &ssm.GetParameterOutput{Parameter: &p}, nil
}

func (s *Sim) ssmGetParameters(in *ssm.GetParametersInput) (*ssm.GetParametersOutput, error) {
	if len(in.Names) == 0 || len(in.Names) > 10 {
		return nil, apiErr("ValidationException", "1 validation error detected: Value '%v' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1", in.Names)
	}
	out := &ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{}, InvalidParameters: []string{}}
	seen := map[string]bool{}
	for _, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		p, ok, _ := s.ssmResolve(n)
		if !ok {
			out.InvalidParameters = append(out.InvalidParameters, n)
			continue
		}
		out.Parameters = append(out.Parameters, p)
	}
	return out, nil
}

func (s *Sim) ssmGetParametersByPath(in *ssm.GetParametersByPathInput) (*ssm.GetParametersByPathOutput, error) {
	path := aws.ToString(in.Path)
	if !strings.HasPrefix(path, "/") {
		return nil, apiErr("ValidationException", "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
	}
	if len(in.ParameterFilters) > 0 {
		return nil, apiErr("ValidationException", "ParameterFilters are not supported by the sandbox.")
	}
	limit := 10
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 10 {
			return nil, apiErr("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10", *in.MaxResults)
		}
		limit = int(*in.MaxResults)
	}
	limit = min(limit, s.PageSize())
	prefix := strings.TrimSuffix(path, "/") + "/"
	var names []string
	for n := range s.ssm.Params {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		if !aws.ToBool(in.Recursive) && strings.Contains(n[len(prefix):], "/") {
			continue
		}
		names = append(names, n)
	}
	page, next, ok := pageOfKeys(names, in.NextToken, limit)
	if !ok {
		return nil, apiErr("ValidationException", "The specified token is invalid.")
	}
	out := &ssm.GetParametersByPathOutput{Parameters: []ssmtypes.Parameter{}, NextToken: next}
	for _, n := range page {
		p, _, _ := s.ssmResolve(n)
		out.Parameters = append(out.Parameters, p)
	}
	return out, nil
}
