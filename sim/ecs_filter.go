package sim

import (
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The cluster query language, as ListContainerInstances' filter and memberOf
// placement constraints use it. Supported:
//
//	subject  := attribute:<name> | ec2InstanceId | agentConnected
//	term     := subject (== | != ) value
//	          | subject (in | not_in) [v1, v2, ...]
//	          | subject exists | subject not_exists
//	expr     := term { (and | &&) term } { (or | ||) ... }   (and binds tighter; no parentheses)
//
// Anything else is rejected with InvalidParameterException, as AWS rejects
// what it cannot parse. attribute:ecs.instance-type also matches the
// attribute form of ec2InstanceType (ec2InstanceType is accepted as a subject).

// ciFilter is a parsed expression: a disjunction of conjunctions.
type ciFilter [][]ciTerm

type ciTerm struct {
	subject string
	op      string
	values  []string
}

var ciTermRe = regexp.MustCompile(`^\s*(attribute:[A-Za-z0-9_.\-]+|ec2InstanceId|ec2InstanceType|agentConnected)\s+(==|!=|not_in|in|not_exists|exists)\s*(.*?)\s*$`)

func parseCIFilter(q string) (ciFilter, error) {
	bad := apiErr("InvalidParameterException", "The filter expression %q is not valid.", q)
	var f ciFilter
	for _, disj := range splitWords(q, "or", "||") {
		var conj []ciTerm
		for _, part := range splitWords(disj, "and", "&&") {
			m := ciTermRe.FindStringSubmatch(part)
			if m == nil {
				return nil, bad
			}
			t := ciTerm{subject: m[1], op: m[2]}
			if t.subject == "ec2InstanceType" {
				t.subject = "attribute:ecs.instance-type"
			}
			v := m[3]
			switch t.op {
			case "exists", "not_exists":
				if v != "" {
					return nil, bad
				}
			case "in", "not_in":
				if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
					return nil, bad
				}
				for _, x := range strings.Split(v[1:len(v)-1], ",") {
					if x = strings.Trim(strings.TrimSpace(x), `"'`); x != "" {
						t.values = append(t.values, x)
					}
				}
				if len(t.values) == 0 {
					return nil, bad
				}
			default:
				v = strings.Trim(v, `"'`)
				if v == "" || strings.ContainsAny(v, " []") {
					return nil, bad
				}
				t.values = []string{v}
			}
			conj = append(conj, t)
		}
		f = append(f, conj)
	}
	return f, nil
}

// splitWords splits q at the word operators (case-insensitive, surrounded by
// spaces) and the symbol operators.
func splitWords(q, word, sym string) []string {
	q = strings.ReplaceAll(q, sym, " "+word+" ")
	fields := strings.Fields(q)
	var parts []string
	var cur []string
	for _, f := range fields {
		if strings.EqualFold(f, word) {
			parts = append(parts, strings.Join(cur, " "))
			cur = nil
			continue
		}
		cur = append(cur, f)
	}
	return append(parts, strings.Join(cur, " "))
}

func (f ciFilter) match(in *ecsInstance) bool {
	for _, conj := range f {
		ok := true
		for _, t := range conj {
			if !t.match(in) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (t ciTerm) match(in *ecsInstance) bool {
	val, has := "", false
	switch {
	case t.subject == "ec2InstanceId":
		val, has = aws.ToString(in.CI.Ec2InstanceId), true
	case t.subject == "agentConnected":
		val, has = "false", true
		if in.CI.AgentConnected {
			val = "true"
		}
	default:
		name := strings.TrimPrefix(t.subject, "attribute:")
		for _, a := range in.CI.Attributes {
			if aws.ToString(a.Name) == name {
				val, has = aws.ToString(a.Value), true
				break
			}
		}
	}
	switch t.op {
	case "exists":
		return has
	case "not_exists":
		return !has
	case "==":
		return has && val == t.values[0]
	case "!=":
		return !has || val != t.values[0]
	case "in", "not_in":
		in := false
		for _, v := range t.values {
			if has && v == val {
				in = true
			}
		}
		return in == (t.op == "in")
	}
	return false
}
