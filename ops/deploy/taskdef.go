package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
)

// readOnlyTaskDefFields are the TaskDefinition fields ECS sets itself; every
// other field is carried into the new revision.
var readOnlyTaskDefFields = map[string]bool{
	"TaskDefinitionArn": true, "Revision": true, "Status": true, "RequiresAttributes": true,
	"Compatibilities": true, "RegisteredAt": true, "RegisteredBy": true, "DeregisteredAt": true,
	"DeleteRequestedAt": true,
}

// RegisterInputFrom copies a live task definition into a registration of a
// new revision: every field the RegisterTaskDefinition call accepts is
// copied by name, so fields added to ECS later are kept too (a test fails if
// a TaskDefinition field has no counterpart). Tags are carried over.
func RegisterInputFrom(td *types.TaskDefinition, tags []types.Tag) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{}
	src := reflect.ValueOf(td).Elem()
	dst := reflect.ValueOf(in).Elem()
	for i := 0; i < dst.NumField(); i++ {
		f := dst.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		sv := src.FieldByName(f.Name)
		if !sv.IsValid() || readOnlyTaskDefFields[f.Name] {
			continue
		}
		if sv.Type().AssignableTo(f.Type) {
			dst.Field(i).Set(deepCopy(sv))
		}
	}
	if len(tags) > 0 {
		in.Tags = append([]types.Tag(nil), tags...)
	}
	return in
}

// unmappedTaskDefFields lists TaskDefinition fields that would be lost by
// RegisterInputFrom (used by a test that guards against SDK additions).
func unmappedTaskDefFields() []string {
	var lost []string
	src := reflect.TypeOf(types.TaskDefinition{})
	dst := reflect.TypeOf(ecs.RegisterTaskDefinitionInput{})
	for i := 0; i < src.NumField(); i++ {
		f := src.Field(i)
		if !f.IsExported() || readOnlyTaskDefFields[f.Name] {
			continue
		}
		df, ok := dst.FieldByName(f.Name)
		if !ok || !f.Type.AssignableTo(df.Type) {
			lost = append(lost, f.Name)
		}
	}
	return lost
}

// deepCopy copies slices, maps and pointers so that changing the new
// revision never changes the described one.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for _, k := range v.MapKeys() {
			n.SetMapIndex(k, deepCopy(v.MapIndex(k)))
		}
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v) // copies unexported fields too
		for i := 0; i < v.NumField(); i++ {
			if n.Field(i).CanSet() {
				n.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := deepCopy(v.Elem())
		n := reflect.New(v.Type()).Elem()
		n.Set(c)
		return n
	default:
		return v
	}
}

// EnvChange sets (Value != nil) or removes an environment variable of a container.
type EnvChange struct {
	Container string
	Key       string
	Value     *string
}

// TaskDefChanges are the edits a deploy makes to the live revision.
type TaskDefChanges struct {
	// Images maps container name to its new image reference.
	Images map[string]string
	Env    []EnvChange
}

// Apply edits the registration input in place. It fails when a named
// container does not exist.
func (ch TaskDefChanges) Apply(ctx context.Context, in *ecs.RegisterTaskDefinitionInput) error {
	idx := map[string]int{}
	for i, c := range in.ContainerDefinitions {
		idx[aws.ToString(c.Name)] = i
	}
	names := make([]string, 0, len(ch.Images))
	for n := range ch.Images {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		i, ok := idx[n]
		if !ok {
			return ops.Inputf("task definition %s has no container %q (it has: %s)", aws.ToString(in.Family), n, containerNames(in.ContainerDefinitions))
		}
		in.ContainerDefinitions[i].Image = aws.String(ch.Images[n])
	}
	for _, e := range ch.Env {
		i, ok := idx[e.Container]
		if !ok {
			return ops.Inputf("task definition %s has no container %q for %s/%s (it has: %s)", aws.ToString(in.Family), e.Container, ops.Opt(ctx, "Env"), ops.Opt(ctx, "UnsetEnv"), containerNames(in.ContainerDefinitions))
		}
		cd := &in.ContainerDefinitions[i]
		var kept []types.KeyValuePair
		found := false
		for _, kv := range cd.Environment {
			if aws.ToString(kv.Name) == e.Key {
				found = true
				if e.Value != nil {
					kept = append(kept, types.KeyValuePair{Name: aws.String(e.Key), Value: aws.String(*e.Value)})
				}
				continue
			}
			kept = append(kept, kv)
		}
		if !found && e.Value != nil {
			kept = append(kept, types.KeyValuePair{Name: aws.String(e.Key), Value: aws.String(*e.Value)})
		}
		if !found && e.Value == nil {
			return ops.Inputf("%s %s:%s: container %s has no variable %s: check the name (names are case-sensitive)", ops.Opt(ctx, "UnsetEnv"), e.Container, e.Key, e.Container, e.Key)
		}
		cd.Environment = kept
	}
	return nil
}

func containerNames(cds []types.ContainerDefinition) string {
	var n []string
	for _, c := range cds {
		n = append(n, aws.ToString(c.Name))
	}
	return strings.Join(n, ", ")
}

var secretNameRE = ops.NewLazyRE(`(?i)(PASS|PWD|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH|DSN|CERT|SALT)`)

// LooksSecret reports env var names whose values must never be shown.
func LooksSecret(name string) bool { return secretNameRE.MatchString(name) }

// Masked is what a hidden value is shown as.
const Masked = "********"

// urlPasswordRE finds the password of a URL's user info (postgres://user:PASSWORD@host).
var urlPasswordRE = ops.NewLazyRE(`(://[^/:@\s]*:)[^/@\s]+@`)

// MaskEnvValue is how an environment variable's value may be shown: hidden
// when the name looks secret, and with any password inside a URL hidden.
func MaskEnvValue(name, value string) string {
	if LooksSecret(name) {
		return Masked
	}
	return urlPasswordRE.ReplaceAllString(value, "${1}"+Masked+"@")
}

// MaskTaskDef returns a JSON-ready copy of a registration with secret
// values hidden: every `secrets` valueFrom, and env values whose names look
// secret.
func MaskTaskDef(in *ecs.RegisterTaskDefinitionInput) *ecs.RegisterTaskDefinitionInput {
	c := deepCopy(reflect.ValueOf(in)).Interface().(*ecs.RegisterTaskDefinitionInput)
	for i := range c.ContainerDefinitions {
		cd := &c.ContainerDefinitions[i]
		for j := range cd.Environment {
			if kv := cd.Environment[j]; kv.Value != nil {
				cd.Environment[j].Value = aws.String(MaskEnvValue(aws.ToString(kv.Name), *kv.Value))
			}
		}
		for j := range cd.Secrets {
			cd.Secrets[j].ValueFrom = aws.String(Masked)
		}
		if cd.RepositoryCredentials != nil {
			cd.RepositoryCredentials.CredentialsParameter = aws.String(Masked)
		}
	}
	return c
}

// TaskDefDiff is a line diff of two registrations' JSON, secrets masked.
// Unchanged runs are elided to a few lines of context.
func TaskDefDiff(old, new *ecs.RegisterTaskDefinitionInput) string {
	a := jsonLines(MaskTaskDef(old))
	mn := MaskTaskDef(new)
	// A changed secret is shown as changed, never by value.
	oldVals := map[string]string{}
	for _, cd := range old.ContainerDefinitions {
		for _, kv := range cd.Environment {
			oldVals[aws.ToString(cd.Name)+"/env/"+aws.ToString(kv.Name)] = aws.ToString(kv.Value)
		}
		for _, sec := range cd.Secrets {
			oldVals[aws.ToString(cd.Name)+"/secret/"+aws.ToString(sec.Name)] = aws.ToString(sec.ValueFrom)
		}
	}
	for i, cd := range new.ContainerDefinitions {
		for j, kv := range cd.Environment {
			old, ok := oldVals[aws.ToString(cd.Name)+"/env/"+aws.ToString(kv.Name)]
			shown := MaskEnvValue(aws.ToString(kv.Name), aws.ToString(kv.Value))
			if ok && old != aws.ToString(kv.Value) && MaskEnvValue(aws.ToString(kv.Name), old) == shown {
				mn.ContainerDefinitions[i].Environment[j].Value = aws.String(shown + " (changed)")
			}
		}
		for j, sec := range cd.Secrets {
			if oldVals[aws.ToString(cd.Name)+"/secret/"+aws.ToString(sec.Name)] != aws.ToString(sec.ValueFrom) {
				mn.ContainerDefinitions[i].Secrets[j].ValueFrom = aws.String(Masked + " (changed)")
			}
		}
	}
	return lineDiff(a, jsonLines(mn), 3)
}

// jsonLines shows a registration as indented JSON with AWS's lowerCamel
// member names and without the empty fields the SDK struct carries.
func jsonLines(v any) []string {
	data, err := json.Marshal(v)
	if err != nil {
		return []string{fmt.Sprintf("(cannot show: %v)", err)}
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return []string{fmt.Sprintf("(cannot show: %v)", err)}
	}
	tree = pruneJSON(tree)
	data, err = json.MarshalIndent(tree, "", "  ")
	if err != nil {
		return []string{fmt.Sprintf("(cannot show: %v)", err)}
	}
	return strings.Split(string(data), "\n")
}

// pruneJSON drops nulls, empty strings, empty lists and objects, and lower-cases
// the first letter of member names.
func pruneJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range t {
			val = pruneJSON(val)
			if val == nil {
				continue
			}
			if k != "" {
				k = strings.ToLower(k[:1]) + k[1:]
			}
			out[k] = val
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, val := range t {
			if val = pruneJSON(val); val != nil {
				out = append(out, val)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if t == "" {
			return nil
		}
		return t
	default:
		return v
	}
}

// lineDiff is a small LCS diff, enough for task definitions (a few hundred lines).
func lineDiff(a, b []string, context int) string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else if lcs[i+1][j] >= lcs[i][j+1] {
				lcs[i][j] = lcs[i+1][j]
			} else {
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	type op struct {
		kind byte
		line string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	keep := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind != ' ' {
			for d := -context; d <= context; d++ {
				if k+d >= 0 && k+d < len(ops) {
					keep[k+d] = true
				}
			}
		}
	}
	var sb strings.Builder
	skipped := false
	for k, o := range ops {
		if !keep[k] {
			skipped = true
			continue
		}
		if skipped {
			sb.WriteString("  ...\n")
			skipped = false
		}
		sb.WriteByte(o.kind)
		sb.WriteByte(' ')
		sb.WriteString(o.line)
		sb.WriteByte('\n')
	}
	return sb.String()
}
