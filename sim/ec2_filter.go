package sim

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// filterFields gives the values a resource has for a filter name; ok is false
// for a filter name the resource type does not support.
type filterFields func(name string) (values []string, ok bool)

// matchFilters applies EC2-style filters: a resource matches when, for every
// filter, one of its values matches one of the filter's values (which may
// hold the wildcards * and ?). It returns the first unsupported filter name.
func matchFilters(filters []ec2types.Filter, fields filterFields) (bool, string) {
	for _, f := range filters {
		name := aws.ToString(f.Name)
		have, ok := fields(name)
		if !ok {
			return false, name
		}
		if !anyGlobMatch(f.Values, have) {
			return false, ""
		}
	}
	return true, ""
}

// checkFilterNames reports the first filter whose name fields does not know,
// so a request with a bad filter fails even when nothing would be matched.
func checkFilterNames(filters []ec2types.Filter, fields filterFields) string {
	for _, f := range filters {
		if _, ok := fields(aws.ToString(f.Name)); !ok {
			return aws.ToString(f.Name)
		}
	}
	return ""
}

func anyGlobMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if globMatch(p, v) {
				return true
			}
		}
	}
	return false
}

// globMatch matches v against an EC2 filter value with * and ? wildcards
// (a backslash escapes them). It backtracks only to the last star, so it is
// linear in practice and allocates nothing.
func globMatch(pattern, v string) bool {
	if !strings.ContainsAny(pattern, `*?\`) {
		return pattern == v
	}
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(v) {
		if p < len(pattern) {
			c := pattern[p]
			switch {
			case c == '*':
				starP, starI = p, i
				p++
				continue
			case c == '?':
				p++
				i++
				continue
			case c == '\\' && p+1 < len(pattern):
				if pattern[p+1] == v[i] {
					p += 2
					i++
					continue
				}
			case c == v[i]:
				p++
				i++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// tagFilterFields answers the tag filters shared by EC2 resources:
// tag:<key>, tag-key and tag-value.
func tagFilterFields(tags []kvTag, name string) ([]string, bool) {
	switch {
	case strings.HasPrefix(name, "tag:"):
		if v, ok := tagValue(tags, strings.TrimPrefix(name, "tag:")); ok {
			return []string{v}, true
		}
		return nil, true
	case name == "tag-key":
		var ks []string
		for _, t := range tags {
			ks = append(ks, t.Key)
		}
		return ks, true
	case name == "tag-value":
		var vs []string
		for _, t := range tags {
			vs = append(vs, t.Value)
		}
		return vs, true
	}
	return nil, false
}

// ec2Tags renders tags sorted by key.
func ec2Tags(tags []kvTag) []ec2types.Tag {
	if len(tags) == 0 {
		return nil
	}
	sorted := append([]kvTag(nil), tags...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	out := make([]ec2types.Tag, len(sorted))
	for i, t := range sorted {
		out[i] = ec2types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)}
	}
	return out
}

// pageToken makes an opaque NextToken that resumes after key last.
func pageToken(kind, last string) *string {
	return aws.String(base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + last)))
}

// parsePageToken reads a token made by pageToken for kind. An absent token
// gives "", true.
func parsePageToken(kind string, tok *string) (string, bool) {
	if tok == nil || *tok == "" {
		return "", true
	}
	raw, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", false
	}
	k, last, ok := strings.Cut(string(raw), "|")
	if !ok || k != kind {
		return "", false
	}
	return last, true
}

// ec2Limit validates an EC2 MaxResults (min..max) and returns the page size:
// MaxResults when given, capped by the account's page size.
func (s *Sim) ec2Limit(maxResults *int32, min, max int) (int, error) {
	limit := s.PageSize()
	if maxResults != nil {
		v := int(*maxResults)
		if v < min || v > max {
			return 0, apiErr("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.", v, min, max)
		}
		if v < limit {
			limit = v
		}
	}
	return limit, nil
}

// errBadFilter is EC2's answer to an unknown filter name.
func errBadFilter(name string) error {
	return apiErr("InvalidParameterValue", "The filter '%s' is invalid", name)
}

// errBadNextToken is EC2's answer to a token it did not issue.
func errBadNextToken() error {
	return apiErr("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
}
