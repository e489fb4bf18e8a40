package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// FuzzTaskDefCopy feeds task definitions (JSON of the SDK's
// types.TaskDefinition, so every field can be reached) through the copy a
// deploy registers. Properties:
//   - every field RegisterTaskDefinition accepts is carried over, equal;
//   - the copy shares no memory with the described revision: scribbling over
//     every value of the copy, and deploy's own edits, leave it unchanged;
//   - the copy survives a JSON round trip;
//   - the masked form shown in diffs hides every secret and changes nothing.
//
// Seeds: testdata/fuzz/FuzzTaskDefCopy. Longer: go test ./ops/deploy -run XXX -fuzz FuzzTaskDefCopy -fuzztime 60s
func FuzzTaskDefCopy(f *testing.F) {
	if seed, err := json.Marshal(liveTaskDef()); err == nil {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var td types.TaskDefinition
		if json.Unmarshal(data, &td) != nil {
			return
		}
		described, _ := json.Marshal(&td)
		tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}
		in := RegisterInputFrom(&td, tags)

		src, dst := reflect.ValueOf(td), reflect.ValueOf(*in)
		for i := 0; i < dst.NumField(); i++ {
			name := dst.Type().Field(i).Name
			sv := src.FieldByName(name)
			if !dst.Type().Field(i).IsExported() || !sv.IsValid() || readOnlyTaskDefFields[name] {
				continue
			}
			if !reflect.DeepEqual(sv.Interface(), dst.Field(i).Interface()) {
				t.Fatalf("field %s not carried over: %#v became %#v", name, sv.Interface(), dst.Field(i).Interface())
			}
		}
		if !reflect.DeepEqual(in.Tags, tags) {
			t.Fatalf("tags = %#v", in.Tags)
		}

		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("marshal the copy: %v", err)
		}
		var back ecs.RegisterTaskDefinitionInput
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("the copy does not read back: %v", err)
		}
		if again, _ := json.Marshal(&back); !bytes.Equal(again, raw) {
			t.Fatalf("JSON round trip of the copy changed it:\n%s\n%s", raw, again)
		}

		masked := MaskTaskDef(in)
		if after, _ := json.Marshal(in); !bytes.Equal(after, raw) {
			t.Fatal("MaskTaskDef changed the registration it masks")
		}
		for _, cd := range masked.ContainerDefinitions {
			for _, kv := range cd.Environment {
				if LooksSecret(aws.ToString(kv.Name)) && kv.Value != nil && *kv.Value != Masked {
					t.Fatalf("env %s shown as %q", aws.ToString(kv.Name), *kv.Value)
				}
				if kv.Value != nil && urlPasswordRE.MatchString(*kv.Value) && !bytes.Contains([]byte(*kv.Value), []byte(":"+Masked+"@")) {
					t.Fatalf("password in URL %q shown", *kv.Value)
				}
			}
			for _, s := range cd.Secrets {
				if s.ValueFrom != nil && *s.ValueFrom != Masked {
					t.Fatalf("secret %s shown as %q", aws.ToString(s.Name), *s.ValueFrom)
				}
			}
		}

		if len(in.ContainerDefinitions) > 0 && in.ContainerDefinitions[0].Name != nil {
			v := "x"
			name := *in.ContainerDefinitions[0].Name
			_ = TaskDefChanges{Images: map[string]string{name: "app:new"}, Env: []EnvChange{{Container: name, Key: "K", Value: &v}}}.Apply(context.Background(), in)
		}
		fuzzScribble(reflect.ValueOf(in).Elem(), 0)
		if after, _ := json.Marshal(&td); !bytes.Equal(after, described) {
			t.Fatalf("changing the copy changed the described revision:\n%s\n%s", described, after)
		}
	})
}

// fuzzScribble overwrites every value reachable from v: strings, numbers,
// booleans, through pointers, slices and maps.
func fuzzScribble(v reflect.Value, depth int) {
	if depth > 12 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fuzzScribble(v.Elem(), depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fuzzScribble(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fuzzScribble(v.Index(i), depth+1)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			fuzzScribble(e, depth+1)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(v.String() + "~scribbled")
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if v.CanSet() {
			v.SetInt(v.Int() + 1)
		}
	case reflect.Bool:
		if v.CanSet() {
			v.SetBool(!v.Bool())
		}
	}
}
