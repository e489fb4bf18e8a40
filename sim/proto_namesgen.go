//go:build ignore

// Command proto_namesgen writes proto_names.go from the SDK sources:
//
//	M=$(go env GOMODCACHE)/github.com/aws/aws-sdk-go-v2/service
//	go run proto_namesgen.go $M/ec2@v1.344.2 ec2 ec2 > ec2.txt   # likewise autoscaling asg q, elasticloadbalancingv2 elb q, sts sts q
//
// then concatenate the outputs under the header of proto_names.go.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

var (
	deFunc     = regexp.MustCompile(`^func aws(?:Ec2query|Awsquery|Awsjson11)_deserialize(?:Op)?Document(\w+)\(v \*\*(?:types\.)?(\w+),`)
	deCase     = regexp.MustCompile(`case (?:strings\.EqualFold\("([^"]+)", t\.Name\.Local\)|"([^"]+)":)`)
	svField    = regexp.MustCompile(`sv\.(\w+)`)
	listFuncRe = regexp.MustCompile(`^func aws(?:Ec2query|Awsquery|Awsjson11)_deserializeDocument(\w+)\(v \*\[\]`)
	callRe     = regexp.MustCompile(`_deserializeDocument(\w+)\(&sv\.(\w+),`)
	seFunc     = regexp.MustCompile(`^func aws(?:Ec2query|Awsquery)_serialize(?:Op)?Document(\w+)\(v \*(?:types\.)?(\w+),`)
	seIf       = regexp.MustCompile(`^\s*if (?:v\.(\w+) != nil|v\.(\w+) \{|len\(v\.(\w+)\))`)
	seKey      = regexp.MustCompile(`object\.(Flat)?Key\("([^"]+)"\)`)
)

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func main() {
	dir, svc, ec2 := os.Args[1], os.Args[2], os.Args[3] == "ec2"
	out := map[string]string{}
	f, _ := os.Open(dir + "/deserializers.go")
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	typ, pending := "", ""
	fieldFunc := map[string]string{}
	listItem := map[string]string{}
	listFn := ""
	for sc.Scan() {
		l := sc.Text()
		if m := listFuncRe.FindStringSubmatch(l); m != nil {
			listFn = m[1]
		} else if strings.HasPrefix(l, "func ") {
			listFn = ""
		}
		if listFn != "" {
			if m := deCase.FindStringSubmatch(l); m != nil {
				listItem[listFn] = m[1] + m[2]
				listFn = ""
			}
		}
		if typ != "" {
			if m := callRe.FindStringSubmatch(l); m != nil {
				fieldFunc[typ+"."+m[2]] = m[1]
			}
		}
		if m := deFunc.FindStringSubmatch(l); m != nil {
			typ, pending = m[2], ""
			continue
		}
		if strings.HasPrefix(l, "func ") {
			typ = ""
		}
		if typ == "" {
			continue
		}
		if m := deCase.FindStringSubmatch(l); m != nil {
			pending = m[1] + m[2]
			continue
		}
		if pending != "" {
			if m := svField.FindStringSubmatch(l); m != nil {
				def := m[1]
				if ec2 {
					def = lowerFirst(m[1])
				}
				if pending != def {
					out[typ+"."+m[1]] = pending
				}
				pending = ""
			}
		}
	}
	in := map[string]string{}
	f2, _ := os.Open(dir + "/serializers.go")
	sc = bufio.NewScanner(f2)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	typ = ""
	field := ""
	for sc.Scan() {
		l := sc.Text()
		if m := seFunc.FindStringSubmatch(l); m != nil {
			typ, field = m[2], ""
			continue
		}
		if strings.HasPrefix(l, "func ") {
			typ = ""
		}
		if typ == "" {
			continue
		}
		if m := seIf.FindStringSubmatch(l); m != nil {
			field = m[1] + m[2] + m[3]
			continue
		}
		if m := seKey.FindStringSubmatch(l); m != nil && field != "" {
			if m[2] != field || (m[1] == "Flat" && !ec2) {
				v := m[2]
				if m[1] == "Flat" && !ec2 {
					v += ",flat"
				}
				in[typ+"."+field] = v
			}
			field = ""
		}
	}
	emit := func(name string, m map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Printf("var %s = map[string]string{\n", name)
		for _, k := range keys {
			fmt.Printf("\t%q: %q,\n", k, m[k])
		}
		fmt.Printf("}\n\n")
	}
	emit(svc+"OutNames", out)
	def := "member"
	if ec2 {
		def = "item"
	}
	items := map[string]string{}
	for k, fn := range fieldFunc {
		if it, ok := listItem[fn]; ok && it != def {
			items[k] = it
		}
	}
	emit(svc+"OutItems", items)
	emit(svc+"InNames", in)
}
