package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The query protocols: awsQuery (Auto Scaling, ELBv2, STS) and ec2Query
// (EC2). Requests are form-encoded; awsQuery lists are Name.member.N and maps
// Name.entry.N.key/value, EC2 lists are Name.N with the member's singular
// query name (InstanceId.1, Filter.1.Value.1). Responses are XML: awsQuery
// wraps members in <OpResult> and lists in <member>, EC2 uses lowerCamel
// names, <item> lists and the Set-suffixed names of its model. Where a wire
// name is not the Go field name, names.go (generated from the SDK)
// says what it is.

// QueryService describes one query-protocol service.
type QueryService struct {
	Name     string // the sandbox's service name (sim.SvcEC2, …)
	EC2      bool   // ec2Query rather than awsQuery
	xmlns    string
	inNames  map[string]string // "Type.Field" → request key (",flat" suffix: no .member)
	outNames map[string]string // "Type.Field" → response element
	outItems map[string]string // "Type.Field" → list item element, if not listItem
	listItem string
}

// queryServices is keyed by the API version a request's Version names. The
// names are the sandbox's service names (sim/registry.go).
var queryServices = map[string]*QueryService{
	"2016-11-15": {Name: "ec2", EC2: true, xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/", inNames: ec2InNames, outNames: ec2OutNames, outItems: ec2OutItems, listItem: "item"},
	"2011-01-01": {Name: "autoscaling", xmlns: "http://autoscaling.amazonaws.com/doc/2011-01-01/", inNames: asgInNames, outNames: asgOutNames, outItems: asgOutItems, listItem: "member"},
	"2015-12-01": {Name: "elbv2", xmlns: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/", inNames: elbInNames, outNames: elbOutNames, outItems: elbOutItems, listItem: "member"},
	// CloudWatch over awsQuery: what AWS CLI v2 (botocore before the CBOR
	// switch) sends; the Go SDK uses Smithy RPC v2 CBOR.
	"2010-08-01": {Name: "cloudwatch", xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/", listItem: "member"},
	"2011-06-15": {Name: "sts", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", inNames: stsInNames, outNames: stsOutNames, outItems: stsOutItems, listItem: "member"},
}

// Query is the query-protocol service of an API version, or nil.
func Query(version string) *QueryService { return queryServices[version] }

// QueryVersions lists the API versions Query knows, sorted.
func QueryVersions() []string { return sortedKeys(queryServices) }

// DecodeForm fills in (a pointer to an SDK input struct) from a request's
// form.
func (q *QueryService) DecodeForm(form url.Values, in any) error {
	return q.decodeInput(parseQueryForm(form), in)
}

// qnode is one level of a form's dotted keys.
type qnode struct {
	val  *string
	kids map[string]*qnode
}

func (n *qnode) child(k string) *qnode {
	if n.kids == nil {
		n.kids = map[string]*qnode{}
	}
	c := n.kids[k]
	if c == nil {
		c = &qnode{}
		n.kids[k] = c
	}
	return c
}

// parseQueryForm splits a form body into its Action, Version and a tree of
// the other parameters.
func parseQueryForm(form url.Values) *qnode {
	root := &qnode{}
	for k, vs := range form {
		if k == "Action" || k == "Version" || len(vs) == 0 {
			continue
		}
		n := root
		for _, part := range strings.Split(k, ".") {
			n = n.child(part)
		}
		v := vs[len(vs)-1]
		n.val = &v
	}
	return root
}

// queryFieldMaps caches, per service and struct type, request key → field.
var queryFieldMaps sync.Map // queryFieldKey → map[string]fieldInfo

type queryFieldKey struct {
	svc string
	t   reflect.Type
}

func (q *QueryService) inFields(t reflect.Type) map[string]fieldInfo {
	key := queryFieldKey{q.Name, t}
	if m, ok := queryFieldMaps.Load(key); ok {
		return m.(map[string]fieldInfo)
	}
	m := map[string]fieldInfo{}
	for _, f := range structInfoOf(t).fields {
		m[strings.ToLower(f.name)] = f
	}
	for _, f := range structInfoOf(t).fields {
		if wire, ok := q.inNames[t.Name()+"."+f.name]; ok {
			wire, _, _ = strings.Cut(wire, ",")
			m[strings.ToLower(wire)] = f
		}
	}
	queryFieldMaps.Store(key, m)
	return m
}

// decodeQueryInput fills in from the form's parameters.
func (q *QueryService) decodeInput(root *qnode, in any) error {
	return q.assign(reflect.ValueOf(in).Elem(), root, "", 0)
}

func (q *QueryService) assign(v reflect.Value, n *qnode, path string, depth int) error {
	if depth > 32 {
		return &treeError{path, "parameters nest too deeply"}
	}
	t := v.Type()
	switch {
	case isQueryScalar(t):
		if n.val == nil {
			return &treeError{path, "expected a value"}
		}
		return assignQueryScalar(v, *n.val, path)
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := q.assign(p.Elem(), n, path, depth+1); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case t.Kind() == reflect.Slice:
		return q.assignList(v, n, path, depth)
	case t.Kind() == reflect.Map:
		return q.assignMap(v, n, path, depth)
	case t.Kind() == reflect.Struct:
		fields := q.inFields(t)
		for k, kid := range n.kids {
			f, ok := fields[strings.ToLower(k)]
			if !ok {
				continue // unknown parameters are ignored
			}
			if err := q.assign(v.Field(f.index), kid, joinPath(path, k), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return &treeError{path, "unsupported member type " + t.String()}
}

// isQueryScalar reports whether a member of type t is one form parameter's
// value: a time, string, boolean, number or blob.
func isQueryScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	}
	return t == timeType
}

// assignQueryScalar sets v (of a type isQueryScalar accepts) from a form
// value.
func assignQueryScalar(v reflect.Value, s, path string) error {
	t := v.Type()
	if t == timeType {
		tm, err := treeTime(s)
		if err != nil {
			return &treeError{path, err.Error()}
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return &treeError{path, fmt.Sprintf("invalid boolean %q", s)}
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return &treeError{path, fmt.Sprintf("invalid integer %q", s)}
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return &treeError{path, fmt.Sprintf("invalid number %q", s)}
		}
		v.SetFloat(f)
	default: // []byte
		p, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return &treeError{path, "invalid base64 data"}
		}
		v.SetBytes(p)
	}
	return nil
}

// assignList fills a slice from Name.N (EC2) or Name.member.N parameters.
func (q *QueryService) assignList(v reflect.Value, n *qnode, path string, depth int) error {
	items := n
	if len(n.kids) == 1 && !q.EC2 {
		for k, only := range n.kids {
			if _, err := strconv.Atoi(k); err != nil {
				items = only // Name.member.N (or the list's own item name)
			}
		}
	}
	idx, err := listIndexes(items, path)
	if err != nil {
		return err
	}
	s := reflect.MakeSlice(v.Type(), len(idx), len(idx))
	for i, k := range idx {
		if err := q.assign(s.Index(i), items.kids[k], path+"."+k, depth+1); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// assignMap fills a map from Name.entry.N.key / .value parameters (or
// Name.N.key without "entry").
func (q *QueryService) assignMap(v reflect.Value, n *qnode, path string, depth int) error {
	t := v.Type()
	entries := n
	if e := n.kids["entry"]; e != nil {
		entries = e
	}
	idx, err := listIndexes(entries, path)
	if err != nil {
		return err
	}
	mv := reflect.MakeMapWithSize(t, len(idx))
	for _, k := range idx {
		e := entries.kids[k]
		kn, vn := e.kids["key"], e.kids["value"]
		if kn == nil || kn.val == nil {
			return &treeError{path + "." + k, "map entry without a key"}
		}
		ev := reflect.New(t.Elem()).Elem()
		if vn != nil {
			if err := q.assign(ev, vn, path+"."+k+".value", depth+1); err != nil {
				return err
			}
		}
		mv.SetMapIndex(reflect.ValueOf(*kn.val).Convert(t.Key()), ev)
	}
	v.Set(mv)
	return nil
}

// listIndexes returns the numeric child keys of a list node in order.
func listIndexes(n *qnode, path string) ([]string, error) {
	type kv struct {
		k string
		i int
	}
	var idx []kv
	for k := range n.kids {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 {
			return nil, &treeError{path, fmt.Sprintf("list index %q is not a positive number", k)}
		}
		idx = append(idx, kv{k, i})
	}
	if len(idx) > 1000 {
		return nil, &treeError{path, "too many list members"}
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a].i < idx[b].i })
	out := make([]string, len(idx))
	for i, e := range idx {
		out[i] = e.k
	}
	return out, nil
}

// EncodeOutput writes the XML response for an operation's output.
func (q *QueryService) EncodeOutput(op string, out any, requestID string) []byte {
	var b bytes.Buffer
	b.Grow(1024)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString("<" + op + `Response xmlns="` + q.xmlns + `">`)
	v := reflect.ValueOf(out)
	if q.EC2 {
		b.WriteString("<requestId>" + requestID + "</requestId>")
		if v.IsValid() && !v.IsNil() {
			q.writeFields(&b, v.Elem())
		}
	} else {
		// Always present, even empty: the SDK requires the element.
		b.WriteString("<" + op + "Result>")
		if v.IsValid() && !v.IsNil() {
			q.writeFields(&b, v.Elem())
		}
		b.WriteString("</" + op + "Result>")
		b.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
	}
	b.WriteString("</" + op + "Response>")
	return b.Bytes()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// outName is the response element of a struct field.
func (q *QueryService) outName(t reflect.Type, field string) string {
	if n, ok := q.outNames[t.Name()+"."+field]; ok {
		return n
	}
	if q.EC2 {
		return lowerFirst(field)
	}
	return field
}

// xmlField is a struct field with its response element and list item names.
type xmlField struct {
	index      int
	elem, item string
}

var xmlFieldCache sync.Map // queryFieldKey → []xmlField

// outFields returns t's fields with their element names (cached per type).
func (q *QueryService) outFields(t reflect.Type) []xmlField {
	key := queryFieldKey{q.Name, t}
	if fs, ok := xmlFieldCache.Load(key); ok {
		return fs.([]xmlField)
	}
	var fs []xmlField
	for _, f := range structInfoOf(t).fields {
		item := q.listItem
		if it, ok := q.outItems[t.Name()+"."+f.name]; ok {
			item = it
		}
		fs = append(fs, xmlField{index: f.index, elem: q.outName(t, f.name), item: item})
	}
	xmlFieldCache.Store(key, fs)
	return fs
}

func (q *QueryService) writeFields(b *bytes.Buffer, v reflect.Value) {
	for _, f := range q.outFields(v.Type()) {
		fv := v.Field(f.index)
		if isEmptyValue(fv) {
			continue
		}
		q.writeValue(b, f.elem, f.item, fv, 0)
	}
}

func (q *QueryService) writeValue(b *bytes.Buffer, name, item string, v reflect.Value, depth int) {
	if depth > 64 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		q.writeValue(b, name, item, v.Elem(), depth+1)
		return
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		if u, ok := unionOf(v); ok {
			b.WriteString("<" + name + ">")
			q.writeValue(b, lowerFirstIf(q.EC2, u.name), q.listItem, u.value, depth+1)
			b.WriteString("</" + name + ">")
		}
		return
	}
	b.WriteString("<" + name + ">")
	switch v.Kind() {
	case reflect.String:
		xmlText(b, v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(formatXMLFloat(v.Float(), v.Type().Bits()))
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
			break
		}
		for i := 0; i < v.Len(); i++ {
			q.writeValue(b, item, q.listItem, v.Index(i), depth+1)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sortValues(keys)
		for _, k := range keys {
			b.WriteString("<entry><key>")
			xmlText(b, k.String())
			b.WriteString("</key>")
			q.writeValue(b, "value", q.listItem, v.MapIndex(k), depth+1)
			b.WriteString("</entry>")
		}
	case reflect.Struct:
		if v.Type() == timeType {
			b.WriteString(v.Interface().(time.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
			break
		}
		q.writeFields(b, v)
	}
	b.WriteString("</" + name + ">")
}

func lowerFirstIf(cond bool, s string) string {
	if cond {
		return lowerFirst(s)
	}
	return s
}

func formatXMLFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

func xmlText(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

// ErrorBody writes a query-protocol error.
func (q *QueryService) ErrorBody(code, message string, server bool, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if q.EC2 {
		b.WriteString("<Response><Errors><Error><Code>")
		xmlText(&b, code)
		b.WriteString("</Code><Message>")
		xmlText(&b, message)
		b.WriteString("</Message></Error></Errors><RequestID>" + requestID + "</RequestID></Response>")
		return b.Bytes()
	}
	typ := "Sender"
	if server {
		typ = "Receiver"
	}
	b.WriteString(`<ErrorResponse xmlns="` + q.xmlns + `"><Error><Type>` + typ + "</Type><Code>")
	xmlText(&b, code)
	b.WriteString("</Code><Message>")
	xmlText(&b, message)
	b.WriteString("</Message></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
	return b.Bytes()
}
