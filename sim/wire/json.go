package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
	"github.com/aws/smithy-go/traits"
)

// awsJson1_1 (ECS, Logs, ECR, SSM, Application Auto Scaling).
//
// Requests are decoded with encoding/json into a generic tree and then
// assigned to the SDK input struct by reflection (reflect.go). Outputs
// of schema-serde services are written by JSONWriter, a
// smithy.ShapeSerializer; outputs of classic services (Application Auto
// Scaling in this SDK version) by AppendJSONReflect.

// DecodeJSON decodes an awsJson request body into in (a pointer to an
// SDK input struct).
func DecodeJSON(body []byte, in any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil // the SDK sends "{}", but an empty body means no members
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return fmt.Errorf("body is not valid JSON: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("body has data after the JSON object")
	}
	if _, ok := tree.(map[string]any); !ok {
		return fmt.Errorf("body must be a JSON object")
	}
	return assignTree(reflect.ValueOf(in).Elem(), tree, "")
}

// JSONWriter is a smithy.ShapeSerializer writing awsJson 1.x: member
// names as modeled, timestamps as epoch seconds unless the member says
// otherwise, blobs in base64, unions as one-member objects.
type JSONWriter struct {
	buf   []byte
	stack []jsonFrame
	// keyDone is set when the next value's key was already written (map
	// entries, union variants).
	keyDone bool
}

type jsonFrame struct {
	object bool // struct, union or map: values carry a key
	n      int  // values written so far
	// For structs whose service always sends its primitive members
	// (alwaysSendsPrimitives): the struct's schema and the members written.
	schema  *smithy.Schema
	written []string
}

// NewJSONWriter starts a JSON writer that reuses buf's storage.
func NewJSONWriter(buf []byte) *JSONWriter {
	return &JSONWriter{buf: buf[:0], stack: make([]jsonFrame, 0, 16)}
}

// Bytes is what the writer has written.
func (w *JSONWriter) Bytes() []byte { return w.buf }

// prefix writes what goes before a value: a comma and, inside an object,
// the member's key.
func (w *JSONWriter) prefix(s *smithy.Schema) {
	if w.keyDone {
		w.keyDone = false
		return
	}
	if len(w.stack) == 0 {
		return
	}
	top := &w.stack[len(w.stack)-1]
	if top.n > 0 {
		w.buf = append(w.buf, ',')
	}
	top.n++
	if top.object && s != nil {
		w.buf = appendJSONString(w.buf, s.MemberName())
		w.buf = append(w.buf, ':')
		if top.schema != nil {
			top.written = append(top.written, s.MemberName())
		}
	}
}

func (w *JSONWriter) open(c byte, object bool) {
	w.buf = append(w.buf, c)
	w.stack = append(w.stack, jsonFrame{object: object})
}

func (w *JSONWriter) close(c byte) {
	w.buf = append(w.buf, c)
	if len(w.stack) > 0 {
		w.stack = w.stack[:len(w.stack)-1]
	}
}

func (w *JSONWriter) WriteInt8(s *smithy.Schema, v int8)   { w.WriteInt64(s, int64(v)) }
func (w *JSONWriter) WriteInt16(s *smithy.Schema, v int16) { w.WriteInt64(s, int64(v)) }
func (w *JSONWriter) WriteInt32(s *smithy.Schema, v int32) { w.WriteInt64(s, int64(v)) }
func (w *JSONWriter) WriteInt64(s *smithy.Schema, v int64) {
	w.prefix(s)
	w.buf = strconv.AppendInt(w.buf, v, 10)
}
func (w *JSONWriter) WriteFloat32(s *smithy.Schema, v float32) {
	w.prefix(s)
	w.buf = appendJSONFloat(w.buf, float64(v), 32)
}
func (w *JSONWriter) WriteFloat64(s *smithy.Schema, v float64) {
	w.prefix(s)
	w.buf = appendJSONFloat(w.buf, v, 64)
}
func (w *JSONWriter) WriteBool(s *smithy.Schema, v bool) {
	w.prefix(s)
	w.buf = strconv.AppendBool(w.buf, v)
}
func (w *JSONWriter) WriteString(s *smithy.Schema, v string) {
	w.prefix(s)
	w.buf = appendJSONString(w.buf, v)
}
func (w *JSONWriter) WriteBigInt(s *smithy.Schema, v *big.Int) {
	w.prefix(s)
	w.buf = v.Append(w.buf, 10)
}
func (w *JSONWriter) WriteBigFloat(s *smithy.Schema, v *big.Float) {
	w.prefix(s)
	w.buf = v.Append(w.buf, 'g', -1)
}
func (w *JSONWriter) WriteBlob(s *smithy.Schema, v []byte) {
	w.prefix(s)
	if v == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = append(w.buf, '"')
	w.buf = base64.StdEncoding.AppendEncode(w.buf, v)
	w.buf = append(w.buf, '"')
}
func (w *JSONWriter) WriteTime(s *smithy.Schema, v time.Time) {
	w.prefix(s)
	switch timestampFormat(s) {
	case "date-time":
		w.buf = appendJSONString(w.buf, v.UTC().Format("2006-01-02T15:04:05.999Z"))
	case "http-date":
		w.buf = appendJSONString(w.buf, v.UTC().Format(http1Date))
	default:
		w.buf = strconv.AppendFloat(w.buf, epochSeconds(v), 'f', -1, 64)
	}
}
func (w *JSONWriter) WriteUnion(s, variant *smithy.Schema) {
	w.prefix(s)
	w.open('{', true)
	w.prefix(variant)
	w.keyDone = true
}
func (w *JSONWriter) CloseUnion() {
	w.keyDone = false
	w.close('}')
}
func (w *JSONWriter) WriteDocument(s *smithy.Schema, v document.Value) {
	w.prefix(s)
	w.buf = appendJSONDocument(w.buf, v)
}
func (w *JSONWriter) WriteNil(s *smithy.Schema) {
	w.prefix(s)
	w.buf = append(w.buf, "null"...)
}
func (w *JSONWriter) WriteStruct(s *smithy.Schema) {
	w.prefix(s)
	w.open('{', true)
	if s != nil && alwaysSendsPrimitives(s.TargetID()) {
		w.stack[len(w.stack)-1].schema = s
	}
}
func (w *JSONWriter) CloseStruct() {
	if top := &w.stack[len(w.stack)-1]; top.schema != nil {
		w.writeUnsentPrimitives(top)
	}
	w.close('}')
}

// alwaysSendsPrimitives says whether the service of a structure sends its
// primitive members (the model's defaulted Integer, Long, Double, Boolean)
// even when they are zero. The SDK's serializers skip zero values (they are
// written for requests, where a zero default need not be sent), but ECS
// always answers with them: DescribeServices carries "pendingCount": 0 and
// deployments "failedTasks": 0, DescribeTaskDefinition a container's
// "cpu": 0 (response examples in the ECS API Reference for DescribeServices
// and DescribeTaskDefinition). jq users read null otherwise.
func alwaysSendsPrimitives(id smithy.ShapeID) bool {
	return id.Namespace == "com.amazonaws.ecs"
}

// writeUnsentPrimitives writes the zero value of every primitive member of
// the open struct that the SDK's serializer skipped, in member-name order.
func (w *JSONWriter) writeUnsentPrimitives(top *jsonFrame) {
	members := top.schema.Members()
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if slices.Contains(top.written, name) {
			continue
		}
		m := members[name]
		target := m.TargetID()
		if target.Namespace != top.schema.TargetID().Namespace {
			continue
		}
		switch target.Name {
		case "Integer", "Long":
			w.WriteInt64(m, 0)
		case "Double":
			w.WriteFloat64(m, 0)
		case "Boolean":
			w.WriteBool(m, false)
		}
	}
}
func (w *JSONWriter) WriteList(s *smithy.Schema) {
	w.prefix(s)
	w.open('[', false)
}
func (w *JSONWriter) CloseList() { w.close(']') }
func (w *JSONWriter) WriteMap(s *smithy.Schema) {
	w.prefix(s)
	w.open('{', true)
}
func (w *JSONWriter) WriteKey(_ *smithy.Schema, key string) {
	top := &w.stack[len(w.stack)-1]
	if top.n > 0 {
		w.buf = append(w.buf, ',')
	}
	top.n++
	w.buf = appendJSONString(w.buf, key)
	w.buf = append(w.buf, ':')
	w.keyDone = true
}
func (w *JSONWriter) CloseMap() { w.close('}') }

const http1Date = "Mon, 02 Jan 2006 15:04:05 GMT"

// timestampFormat is the member's @timestampFormat, or "".
func timestampFormat(s *smithy.Schema) string {
	if s == nil {
		return ""
	}
	if t, ok := smithy.SchemaTrait[*traits.TimestampFormat](s); ok {
		return t.Format
	}
	return ""
}

// epochSeconds returns t as epoch seconds with millisecond precision,
// choosing the float64 that the SDK's parsers (which truncate value×1000
// rounded to float64 precision) turn back into exactly the same millisecond.
func epochSeconds(t time.Time) float64 {
	ms := t.UnixMilli()
	f := float64(ms) / 1e3
	if ms%1000 == 0 {
		return f
	}
	for i := 0; i < 4; i++ {
		if int64(f*1e3) == ms {
			return f
		}
		f = math.Nextafter(f, math.Inf(1))
	}
	return float64(ms) / 1e3
}

// appendJSONFloat writes a float, with NaN and infinities as the strings
// the SDK reads.
func appendJSONFloat(b []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, bits)
}

// appendJSONString writes s as a JSON string (invalid UTF-8 becomes U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONDocument writes a smithy document value as JSON.
func appendJSONDocument(b []byte, v document.Value) []byte {
	switch vv := v.(type) {
	case nil, document.Null:
		return append(b, "null"...)
	case document.Boolean:
		return strconv.AppendBool(b, bool(vv))
	case document.Number:
		return append(b, vv...)
	case document.String:
		return appendJSONString(b, string(vv))
	case document.Blob:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, vv)
		return append(b, '"')
	case document.Timestamp:
		return strconv.AppendFloat(b, epochSeconds(time.Time(vv)), 'f', -1, 64)
	case document.List:
		b = append(b, '[')
		for i, item := range vv {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONDocument(b, item)
		}
		return append(b, ']')
	case document.Map:
		return appendJSONDocMap(b, vv)
	case document.Structure:
		return appendJSONDocMap(b, vv.Members)
	case document.Opaque:
		return appendJSONOpaque(b, vv.Value)
	case *document.Opaque:
		return appendJSONOpaque(b, vv.Value)
	}
	return append(b, "null"...)
}

func appendJSONDocMap(b []byte, m map[string]document.Value) []byte {
	b = append(b, '{')
	first := true
	for _, k := range sortedKeys(m) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONDocument(b, m[k])
	}
	return append(b, '}')
}

// appendJSONOpaque writes a document held as a Go value (the services'
// document.Interface values marshal themselves).
func appendJSONOpaque(b []byte, v any) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	if m, ok := v.(interface{ MarshalSmithyDocument() ([]byte, error) }); ok {
		if p, err := m.MarshalSmithyDocument(); err == nil {
			return append(b, p...)
		}
		return append(b, "null"...)
	}
	p, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, p...)
}

// AppendJSONReflect encodes a classic (non-schema) SDK output struct as
// awsJson: member names are the Go field names (the model's names for these
// services), nil and zero members are left out, timestamps are epoch seconds.
func AppendJSONReflect(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, "null"...)
		}
		return AppendJSONReflect(b, v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...)
		}
		if u, ok := unionOf(v); ok {
			b = append(b, '{')
			b = appendJSONString(b, u.name)
			b = append(b, ':')
			b = AppendJSONReflect(b, u.value)
			return append(b, '}')
		}
		return appendJSONOpaque(b, v.Interface())
	case reflect.String:
		return appendJSONString(b, v.String())
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10)
	case reflect.Float32:
		return appendJSONFloat(b, v.Float(), 32)
	case reflect.Float64:
		return appendJSONFloat(b, v.Float(), 64)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, v.Bytes())
			return append(b, '"')
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONReflect(b, v.Index(i))
		}
		return append(b, ']')
	case reflect.Map:
		b = append(b, '{')
		keys := v.MapKeys()
		sortValues(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k.String())
			b = append(b, ':')
			b = AppendJSONReflect(b, v.MapIndex(k))
		}
		return append(b, '}')
	case reflect.Struct:
		if v.Type() == timeType {
			return strconv.AppendFloat(b, epochSeconds(v.Interface().(time.Time)), 'f', -1, 64)
		}
		b = append(b, '{')
		n := 0
		for _, f := range structInfoOf(v.Type()).fields {
			fv := v.Field(f.index)
			if isEmptyValue(fv) {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendJSONString(b, f.name)
			b = append(b, ':')
			b = AppendJSONReflect(b, fv)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// JSONErrorBody is the body of an awsJson error.
func JSONErrorBody(code, message string) []byte {
	b := []byte(`{"__type":`)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	return append(b, '}')
}
