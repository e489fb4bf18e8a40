package wire

import (
	"fmt"
	"reflect"
)

// DecodeRESTJSON decodes a restJson1 request: the JSON body into in, then
// the members bound to the URI path and query string (members, by Go field
// path) over it.
func DecodeRESTJSON(body []byte, members map[string]any, in any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode request: %v", r)
		}
	}()
	if err := DecodeJSON(body, in); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	return assignTree(reflect.ValueOf(in).Elem(), members, "")
}

// AppendRESTJSON writes a classic (non-schema) SDK struct as restJson1:
// AppendJSONReflect, with the member names of names where a service's
// wire name is not the Go field name.
func AppendRESTJSON(b []byte, v reflect.Value, names map[string]string) []byte {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...)
		}
		return AppendRESTJSON(b, v.Elem(), names)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return AppendJSONReflect(b, v)
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendRESTJSON(b, v.Index(i), names)
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
			b = AppendRESTJSON(b, v.MapIndex(k), names)
		}
		return append(b, '}')
	case reflect.Struct:
		if v.Type() == timeType {
			return AppendJSONReflect(b, v)
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
			name := f.name
			if w, ok := names[name]; ok {
				name = w
			}
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = AppendRESTJSON(b, fv, names)
		}
		return append(b, '}')
	}
	return AppendJSONReflect(b, v)
}
