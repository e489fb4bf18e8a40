package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// Reflection over the SDK's input and output structs, shared by the
// protocols: a cached description of each struct type, and assignTree which
// fills a struct from a generic decoded tree (JSON or CBOR).

var (
	timeType     = reflect.TypeOf(time.Time{})
	metadataType = reflect.TypeOf(middleware.Metadata{})
)

// fieldInfo is one serializable field of an SDK struct.
type fieldInfo struct {
	name  string // Go field name
	index int
	typ   reflect.Type
}

// structInfo describes an SDK struct type once.
type structInfo struct {
	fields []fieldInfo
	byFold map[string]int // lower-case name → index in fields
}

var structInfos sync.Map // reflect.Type → *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byFold: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Type == metadataType {
			continue
		}
		si.byFold[strings.ToLower(f.Name)] = len(si.fields)
		si.fields = append(si.fields, fieldInfo{name: f.Name, index: i, typ: f.Type})
	}
	structInfos.Store(t, si)
	return si
}

// field finds a field by wire name, ignoring case.
func (si *structInfo) field(name string) (fieldInfo, bool) {
	i, ok := si.byFold[strings.ToLower(name)]
	if !ok {
		return fieldInfo{}, false
	}
	return si.fields[i], true
}

// isEmptyValue reports whether a field is absent on the wire: nil pointers,
// slices, maps and interfaces, and zero non-pointer scalars (the classic
// serializers leave those out too).
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return v.IsNil()
	case reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).IsZero()
		}
	}
	return false
}

func sortValues(keys []reflect.Value) {
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unionVariant is the member set in a union value.
type unionVariant struct {
	name  string // the variant's member name as the Go type spells it
	value reflect.Value
}

// unionOf recognises an SDK union value (*FooMemberBar{Value: ...}).
func unionOf(v reflect.Value) (unionVariant, bool) {
	e := v.Elem()
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	if e.Kind() != reflect.Struct {
		return unionVariant{}, false
	}
	name := e.Type().Name()
	i := strings.Index(name, "Member")
	f := e.FieldByName("Value")
	if i < 0 || !f.IsValid() {
		return unionVariant{}, false
	}
	return unionVariant{name: name[i+len("Member"):], value: f}, true
}

// unionVariants lists, for the union interfaces an input may carry, their
// variant types (*FooMemberBar). Reflection cannot enumerate the types
// implementing an interface, so unions are registered here as needed.
var unionVariants = map[reflect.Type][]reflect.Type{}

// registerUnion adds the variants of the union interface *iface (pass
// (*types.Foo)(nil)) — each a pointer to a FooMemberBar struct.
func registerUnion(iface any, variants ...any) {
	it := reflect.TypeOf(iface).Elem()
	for _, v := range variants {
		unionVariants[it] = append(unionVariants[it], reflect.TypeOf(v))
	}
}

// documentTypes maps the services' document interface types to their
// constructors (NewLazyDocument of the service's document package).
var documentTypes = map[reflect.Type]func(any) any{}

// plainTree turns a decoded tree into plain Go values for a document:
// numbers become int64 or float64.
func plainTree(node any) any {
	switch n := node.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(n), 64)
		return f
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n)
		}
		return float64(n)
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = plainTree(v)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, v := range n {
			out[k] = plainTree(v)
		}
		return out
	}
	return node
}

// treeError is a request body that does not fit the input shape.
type treeError struct {
	path string
	msg  string
}

func (e *treeError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// assignTree fills v from a decoded JSON or CBOR value: map[string]any,
// []any, string, json.Number, int64, uint64, float64, bool, []byte,
// time.Time, or nil (absent).
func assignTree(v reflect.Value, node any, path string) error {
	if node == nil {
		return nil
	}
	t := v.Type()
	if t == timeType {
		tm, err := treeTime(node)
		if err != nil {
			return &treeError{path, err.Error()}
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := assignTree(p.Elem(), node, path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Float32, reflect.Float64:
		return assignTreeScalar(v, node, path)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return assignTreeBlob(v, node, path)
		}
		return assignTreeList(v, node, path)
	case reflect.Map:
		return assignTreeMap(v, node, path)
	case reflect.Struct:
		return assignTreeStruct(v, node, path)
	case reflect.Interface:
		if mk, ok := documentTypes[t]; ok {
			v.Set(reflect.ValueOf(mk(plainTree(node))))
			return nil
		}
		return assignUnion(v, node, path)
	}
	return &treeError{path, "unsupported member type " + t.String()}
}

// assignTreeScalar fills a string, boolean or number member.
func assignTreeScalar(v reflect.Value, node any, path string) error {
	switch v.Kind() {
	case reflect.String:
		s, ok := node.(string)
		if !ok {
			return &treeError{path, fmt.Sprintf("expected a string, got %s", treeKind(node))}
		}
		v.SetString(s)
	case reflect.Bool:
		bv, ok := node.(bool)
		if !ok {
			return &treeError{path, fmt.Sprintf("expected a boolean, got %s", treeKind(node))}
		}
		v.SetBool(bv)
	case reflect.Float32, reflect.Float64:
		f, err := treeFloat(node)
		if err != nil {
			return &treeError{path, err.Error()}
		}
		v.SetFloat(f)
	default: // the integer kinds
		n, err := treeInt(node)
		if err != nil {
			return &treeError{path, err.Error()}
		}
		if v.OverflowInt(n) {
			return &treeError{path, fmt.Sprintf("number %d out of range", n)}
		}
		v.SetInt(n)
	}
	return nil
}

// assignTreeBlob fills a []byte member from CBOR bytes or JSON base64.
func assignTreeBlob(v reflect.Value, node any, path string) error {
	switch b := node.(type) {
	case []byte:
		v.SetBytes(append([]byte{}, b...))
	case string:
		p, err := base64.StdEncoding.DecodeString(b)
		if err != nil {
			return &treeError{path, "expected base64 data"}
		}
		v.SetBytes(p)
	default:
		return &treeError{path, fmt.Sprintf("expected a blob, got %s", treeKind(node))}
	}
	return nil
}

func assignTreeList(v reflect.Value, node any, path string) error {
	list, ok := node.([]any)
	if !ok {
		return &treeError{path, fmt.Sprintf("expected a list, got %s", treeKind(node))}
	}
	s := reflect.MakeSlice(v.Type(), len(list), len(list))
	for i, item := range list {
		if err := assignTree(s.Index(i), item, path+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func assignTreeMap(v reflect.Value, node any, path string) error {
	t := v.Type()
	m, ok := node.(map[string]any)
	if !ok {
		return &treeError{path, fmt.Sprintf("expected an object, got %s", treeKind(node))}
	}
	if t.Key().Kind() != reflect.String {
		return &treeError{path, "unsupported map key type"}
	}
	mv := reflect.MakeMapWithSize(t, len(m))
	for k, item := range m {
		ev := reflect.New(t.Elem()).Elem()
		if err := assignTree(ev, item, joinPath(path, k)); err != nil {
			return err
		}
		mv.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
	}
	v.Set(mv)
	return nil
}

func assignTreeStruct(v reflect.Value, node any, path string) error {
	m, ok := node.(map[string]any)
	if !ok {
		return &treeError{path, fmt.Sprintf("expected an object, got %s", treeKind(node))}
	}
	si := structInfoOf(v.Type())
	for k, item := range m {
		f, ok := si.field(k)
		if !ok {
			continue // unknown members are ignored, as AWS does
		}
		if err := assignTree(v.Field(f.index), item, joinPath(path, k)); err != nil {
			return err
		}
	}
	return nil
}

// assignUnion fills a union interface from a one-member object.
func assignUnion(v reflect.Value, node any, path string) error {
	variants, ok := unionVariants[v.Type()]
	if !ok {
		return &treeError{path, "the sandbox does not decode members of type " + v.Type().String()}
	}
	m, ok := node.(map[string]any)
	if !ok {
		return &treeError{path, fmt.Sprintf("expected an object, got %s", treeKind(node))}
	}
	set := 0
	for k, item := range m {
		if item == nil {
			continue
		}
		for _, vt := range variants {
			name := vt.Elem().Name()
			if i := strings.Index(name, "Member"); i < 0 || !strings.EqualFold(name[i+len("Member"):], k) {
				continue
			}
			p := reflect.New(vt.Elem())
			if err := assignTree(p.Elem().FieldByName("Value"), item, joinPath(path, k)); err != nil {
				return err
			}
			v.Set(p)
			set++
		}
	}
	if set > 1 {
		return &treeError{path, "a union must have exactly one member set"}
	}
	return nil
}

func treeKind(node any) string {
	switch node.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, int64, uint64, float64:
		return "a number"
	case []byte:
		return "a blob"
	case time.Time:
		return "a timestamp"
	}
	return fmt.Sprintf("%T", node)
}

func treeInt(node any) (int64, error) {
	switch n := node.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("expected an integer, got %s", n)
		}
		return i, nil
	case int64:
		return n, nil
	case uint64:
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("number %d out of range", n)
		}
		return int64(n), nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, fmt.Errorf("expected an integer, got %v", n)
		}
		return int64(n), nil
	}
	return 0, fmt.Errorf("expected a number, got %s", treeKind(node))
}

func treeFloat(node any) (float64, error) {
	switch n := node.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, fmt.Errorf("expected a number, got %s", n)
		}
		return f, nil
	case int64:
		return float64(n), nil
	case uint64:
		return float64(n), nil
	case float64:
		return n, nil
	case string:
		switch n {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, fmt.Errorf("expected a number, got %s", treeKind(node))
}

// treeTime reads a timestamp: epoch seconds (the default), or an ISO 8601
// string.
func treeTime(node any) (time.Time, error) {
	switch n := node.(type) {
	case time.Time:
		return n.UTC(), nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05Z0700"} {
			if t, err := time.Parse(layout, n); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("expected a timestamp, got %q", n)
	}
	f, err := treeFloat(node)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return time.Time{}, fmt.Errorf("expected a timestamp in epoch seconds, got %s", treeKind(node))
	}
	return time.UnixMilli(int64(math.Round(f * 1000))).UTC(), nil
}

// UnionVariants lists the registered variant types (*FooMemberBar) of a union
// interface type, for tests that build inputs.
func UnionVariants(t reflect.Type) []reflect.Type { return unionVariants[t] }
