package sim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Filter patterns of FilterLogEvents. The sandbox supports:
//
//   - ""                      every event
//   - ERROR timeout           events containing every term (case-sensitive)
//   - "connection refused"    a quoted phrase is one term
//   - ?ERROR ?WARN            events containing any of the ?-terms
//   - ERROR -healthz          a leading '-' excludes events with the term
//   - { $.level = "error" }   JSON events whose field equals a string
//     (=, != ; '*' wildcards in the value), or compares with a number
//     (=, !=, <, <=, >, >=); nested fields as $.a.b; conditions joined by
//     && or || (no parentheses; && binds tighter)
//
// Space-delimited patterns ([ip, user, ...]) and regular expressions (%...%)
// are rejected with InvalidParameterException rather than half-supported.
type logFilter struct {
	all      bool
	must     []string
	any      []string
	not      []string
	jsonOr   [][]jsonCond // OR of ANDs
	jsonMode bool
}

type jsonCond struct {
	path   []string
	op     string
	str    string
	num    float64
	isNum  bool
	wildOK bool
}

func parseFilterPattern(p string) (*logFilter, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return &logFilter{all: true}, nil
	}
	if strings.HasPrefix(p, "{") {
		return parseJSONPattern(p)
	}
	if strings.HasPrefix(p, "[") {
		return nil, fmt.Errorf("space-delimited filter patterns are not supported by the sandbox")
	}
	if strings.HasPrefix(p, "%") {
		return nil, fmt.Errorf("regular expression filter patterns are not supported by the sandbox")
	}
	f := &logFilter{}
	terms, err := splitTerms(p)
	if err != nil {
		return nil, err
	}
	for _, t := range terms {
		switch {
		case strings.HasPrefix(t.text, "?") && !t.quoted:
			if v := unquote(t.text[1:]); v != "" {
				f.any = append(f.any, v)
			}
		case strings.HasPrefix(t.text, "-") && !t.quoted && len(t.text) > 1:
			f.not = append(f.not, unquote(t.text[1:]))
		default:
			f.must = append(f.must, t.text)
		}
	}
	return f, nil
}

type term struct {
	text   string
	quoted bool
}

// splitTerms splits on spaces, keeping "quoted phrases" (and ?"x", -"x") whole.
func splitTerms(p string) ([]term, error) {
	var out []term
	for i := 0; i < len(p); {
		if p[i] == ' ' || p[i] == '\t' {
			i++
			continue
		}
		j := i
		prefix := ""
		if p[j] == '?' || p[j] == '-' {
			prefix = p[j : j+1]
			j++
		}
		if j < len(p) && p[j] == '"' {
			end := strings.IndexByte(p[j+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in filter pattern")
			}
			phrase := p[j+1 : j+1+end]
			if prefix == "" {
				out = append(out, term{text: phrase, quoted: true})
			} else {
				out = append(out, term{text: prefix + `"` + phrase + `"`})
			}
			i = j + 1 + end + 1
			continue
		}
		k := strings.IndexAny(p[i:], " \t")
		if k < 0 {
			k = len(p) - i
		}
		out = append(out, term{text: p[i : i+k]})
		i += k
	}
	return out, nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func (f *logFilter) match(msg string) bool {
	if f.all {
		return true
	}
	if f.jsonMode {
		return matchJSON(f.jsonOr, msg)
	}
	for _, t := range f.not {
		if strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range f.must {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	if len(f.any) > 0 {
		for _, t := range f.any {
			if strings.Contains(msg, t) {
				return true
			}
		}
		return false
	}
	return true
}

func parseJSONPattern(p string) (*logFilter, error) {
	if !strings.HasSuffix(p, "}") {
		return nil, fmt.Errorf("JSON filter pattern must end with }")
	}
	body := strings.TrimSpace(p[1 : len(p)-1])
	if strings.ContainsAny(body, "()") {
		return nil, fmt.Errorf("parentheses in JSON filter patterns are not supported by the sandbox")
	}
	f := &logFilter{jsonMode: true}
	for _, alt := range strings.Split(body, "||") {
		var and []jsonCond
		for _, c := range strings.Split(alt, "&&") {
			cond, err := parseJSONCond(strings.TrimSpace(c))
			if err != nil {
				return nil, err
			}
			and = append(and, cond)
		}
		f.jsonOr = append(f.jsonOr, and)
	}
	return f, nil
}

func parseJSONCond(c string) (jsonCond, error) {
	if !strings.HasPrefix(c, "$.") {
		return jsonCond{}, fmt.Errorf("JSON filter condition %q must start with \"$.\"", c)
	}
	ops := []string{"!=", "<=", ">=", "=", "<", ">"}
	for i := 2; i < len(c); i++ {
		for _, op := range ops {
			if !strings.HasPrefix(c[i:], op) {
				continue
			}
			field := strings.TrimSpace(c[2:i])
			val := strings.TrimSpace(c[i+len(op):])
			if field == "" || val == "" {
				return jsonCond{}, fmt.Errorf("invalid JSON filter condition %q", c)
			}
			jc := jsonCond{path: strings.Split(field, "."), op: op}
			if strings.HasPrefix(val, `"`) {
				if len(val) < 2 || !strings.HasSuffix(val, `"`) {
					return jsonCond{}, fmt.Errorf("unterminated string in %q", c)
				}
				jc.str, jc.wildOK = val[1:len(val)-1], true
			} else if n, err := strconv.ParseFloat(val, 64); err == nil {
				jc.num, jc.isNum = n, true
				jc.str = val
			} else {
				jc.str, jc.wildOK = val, true
			}
			if !jc.isNum && op != "=" && op != "!=" {
				return jsonCond{}, fmt.Errorf("operator %s needs a number in %q", op, c)
			}
			return jc, nil
		}
	}
	return jsonCond{}, fmt.Errorf("JSON filter condition %q has no operator", c)
}

func matchJSON(alts [][]jsonCond, msg string) bool {
	if !strings.HasPrefix(strings.TrimSpace(msg), "{") {
		return false
	}
	var doc map[string]any
	if json.Unmarshal([]byte(msg), &doc) != nil {
		return false
	}
	for _, and := range alts {
		ok := true
		for _, c := range and {
			if !c.eval(doc) {
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

func (c jsonCond) eval(doc map[string]any) bool {
	var v any = doc
	for _, k := range c.path {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	if c.isNum {
		n, ok := v.(float64)
		if !ok {
			return false
		}
		switch c.op {
		case "=":
			return n == c.num
		case "!=":
			return n != c.num
		case "<":
			return n < c.num
		case "<=":
			return n <= c.num
		case ">":
			return n > c.num
		case ">=":
			return n >= c.num
		}
		return false
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	case nil:
		s = "null"
	default:
		return c.op == "!="
	}
	eq := wildMatch(c.str, s)
	if c.op == "!=" {
		return !eq
	}
	return eq
}

// wildMatch matches s against pattern with '*' wildcards.
func wildMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
