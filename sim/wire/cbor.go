package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"

	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
	smithycbor "github.com/aws/smithy-go/encoding/cbor"
)

// Smithy RPC v2 CBOR (CloudWatch). Requests are decoded with smithy-go's
// public cbor package into a generic tree (assignTree fills the input);
// responses are written by CBORWriter.

// DecodeCBOR decodes an rpcv2Cbor request body into in.
func DecodeCBOR(body []byte, in any) (err error) {
	if len(body) == 0 {
		return nil
	}
	defer func() {
		if r := recover(); r != nil { // the decoder is not hardened against every input
			err = fmt.Errorf("body is not valid CBOR")
		}
	}()
	v, err := smithycbor.Decode(body)
	if err != nil {
		return fmt.Errorf("body is not valid CBOR: %v", err)
	}
	tree, err := cborTree(v, 0)
	if err != nil {
		return err
	}
	if _, ok := tree.(map[string]any); !ok {
		return fmt.Errorf("body must be a CBOR map")
	}
	return assignTree(reflect.ValueOf(in).Elem(), tree, "")
}

// cborTree converts a decoded CBOR value to the tree assignTree reads.
func cborTree(v smithycbor.Value, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("body nests too deeply")
	}
	switch vv := v.(type) {
	case smithycbor.Uint:
		return uint64(vv), nil
	case smithycbor.NegInt:
		if vv == 0 || uint64(vv) > math.MaxInt64 {
			return nil, fmt.Errorf("number out of range")
		}
		return -int64(vv), nil
	case smithycbor.Float32:
		return float64(vv), nil
	case smithycbor.Float64:
		return float64(vv), nil
	case smithycbor.String:
		return string(vv), nil
	case smithycbor.Slice:
		return []byte(vv), nil
	case smithycbor.Bool:
		return bool(vv), nil
	case *smithycbor.Nil, *smithycbor.Undefined, nil:
		return nil, nil
	case smithycbor.List:
		out := make([]any, len(vv))
		for i, item := range vv {
			t, err := cborTree(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	case smithycbor.Map:
		out := make(map[string]any, len(vv))
		for k, item := range vv {
			t, err := cborTree(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = t
		}
		return out, nil
	case *smithycbor.Tag:
		return cborTagTree(vv.ID, vv.Value, depth)
	case smithycbor.Tag:
		return cborTagTree(vv.ID, vv.Value, depth)
	}
	return nil, fmt.Errorf("unsupported CBOR value %T", v)
}

func cborTagTree(id uint64, v smithycbor.Value, depth int) (any, error) {
	if id != 1 {
		return cborTree(v, depth+1)
	}
	inner, err := cborTree(v, depth+1)
	if err != nil {
		return nil, err
	}
	f, err := treeFloat(inner)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return nil, fmt.Errorf("timestamp tag holds no epoch seconds")
	}
	return time.UnixMilli(int64(math.Round(f * 1000))).UTC(), nil
}

// CBORWriter is a smithy.ShapeSerializer writing RPC v2 CBOR: structs,
// maps and unions as indefinite-length maps, lists as indefinite arrays,
// timestamps as tag 1 epoch seconds.
type CBORWriter struct {
	buf     []byte
	stack   []bool // true: inside a struct or union (values carry a key)
	keyDone bool
}

// NewCBORWriter starts a CBOR writer that appends to buf.
func NewCBORWriter(buf []byte) *CBORWriter {
	return &CBORWriter{buf: buf, stack: make([]bool, 0, 16)}
}

// Bytes is what the writer has written.
func (w *CBORWriter) Bytes() []byte { return w.buf }

// head writes a major type with its argument in the shortest form.
func (w *CBORWriter) head(major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		w.buf = append(w.buf, m|byte(n))
	case n <= math.MaxUint8:
		w.buf = append(w.buf, m|24, byte(n))
	case n <= math.MaxUint16:
		w.buf = binary.BigEndian.AppendUint16(append(w.buf, m|25), uint16(n))
	case n <= math.MaxUint32:
		w.buf = binary.BigEndian.AppendUint32(append(w.buf, m|26), uint32(n))
	default:
		w.buf = binary.BigEndian.AppendUint64(append(w.buf, m|27), n)
	}
}

func (w *CBORWriter) text(s string) {
	w.head(3, uint64(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *CBORWriter) prefix(s *smithy.Schema) {
	if w.keyDone {
		w.keyDone = false
		return
	}
	if len(w.stack) > 0 && w.stack[len(w.stack)-1] && s != nil {
		w.text(s.MemberName())
	}
}

func (w *CBORWriter) int(v int64) {
	if v >= 0 {
		w.head(0, uint64(v))
	} else {
		w.head(1, uint64(-(v + 1)))
	}
}

func (w *CBORWriter) float64(v float64) {
	w.buf = binary.BigEndian.AppendUint64(append(w.buf, 0xfb), math.Float64bits(v))
}

func (w *CBORWriter) WriteInt8(s *smithy.Schema, v int8)   { w.WriteInt64(s, int64(v)) }
func (w *CBORWriter) WriteInt16(s *smithy.Schema, v int16) { w.WriteInt64(s, int64(v)) }
func (w *CBORWriter) WriteInt32(s *smithy.Schema, v int32) { w.WriteInt64(s, int64(v)) }
func (w *CBORWriter) WriteInt64(s *smithy.Schema, v int64) {
	w.prefix(s)
	w.int(v)
}
func (w *CBORWriter) WriteFloat32(s *smithy.Schema, v float32) {
	w.prefix(s)
	w.buf = binary.BigEndian.AppendUint32(append(w.buf, 0xfa), math.Float32bits(v))
}
func (w *CBORWriter) WriteFloat64(s *smithy.Schema, v float64) {
	w.prefix(s)
	w.float64(v)
}
func (w *CBORWriter) WriteBool(s *smithy.Schema, v bool) {
	w.prefix(s)
	if v {
		w.buf = append(w.buf, 0xf5)
	} else {
		w.buf = append(w.buf, 0xf4)
	}
}
func (w *CBORWriter) WriteString(s *smithy.Schema, v string) {
	w.prefix(s)
	w.text(v)
}
func (w *CBORWriter) WriteBigInt(s *smithy.Schema, v *big.Int) {
	w.prefix(s)
	if v.IsInt64() {
		w.int(v.Int64())
		return
	}
	f, _ := new(big.Float).SetInt(v).Float64()
	w.float64(f)
}
func (w *CBORWriter) WriteBigFloat(s *smithy.Schema, v *big.Float) {
	w.prefix(s)
	f, _ := v.Float64()
	w.float64(f)
}
func (w *CBORWriter) WriteBlob(s *smithy.Schema, v []byte) {
	w.prefix(s)
	if v == nil {
		w.buf = append(w.buf, 0xf6)
		return
	}
	w.head(2, uint64(len(v)))
	w.buf = append(w.buf, v...)
}
func (w *CBORWriter) WriteTime(s *smithy.Schema, v time.Time) {
	w.prefix(s)
	w.head(6, 1)
	if v.Nanosecond() == 0 {
		w.int(v.Unix())
		return
	}
	w.float64(epochSeconds(v))
}
func (w *CBORWriter) WriteUnion(s, variant *smithy.Schema) {
	w.prefix(s)
	w.buf = append(w.buf, 0xbf)
	w.stack = append(w.stack, true)
	w.prefix(variant)
	w.keyDone = true
}
func (w *CBORWriter) CloseUnion() {
	w.keyDone = false
	w.end()
}
func (w *CBORWriter) end() {
	w.buf = append(w.buf, 0xff)
	if len(w.stack) > 0 {
		w.stack = w.stack[:len(w.stack)-1]
	}
}
func (w *CBORWriter) WriteDocument(s *smithy.Schema, v document.Value) {
	w.prefix(s)
	w.buf = append(w.buf, 0xf6) // CloudWatch models no document members
}
func (w *CBORWriter) WriteNil(s *smithy.Schema) {
	w.prefix(s)
	w.buf = append(w.buf, 0xf6)
}
func (w *CBORWriter) WriteStruct(s *smithy.Schema) {
	w.prefix(s)
	w.buf = append(w.buf, 0xbf)
	w.stack = append(w.stack, true)
}
func (w *CBORWriter) CloseStruct() { w.end() }
func (w *CBORWriter) WriteList(s *smithy.Schema) {
	w.prefix(s)
	w.buf = append(w.buf, 0x9f)
	w.stack = append(w.stack, false)
}
func (w *CBORWriter) CloseList() { w.end() }
func (w *CBORWriter) WriteMap(s *smithy.Schema) {
	w.prefix(s)
	w.buf = append(w.buf, 0xbf)
	w.stack = append(w.stack, false)
}
func (w *CBORWriter) WriteKey(_ *smithy.Schema, key string) {
	w.text(key)
	w.keyDone = true
}
func (w *CBORWriter) CloseMap() { w.end() }

// CBORErrorBody is the body of an rpcv2Cbor error.
func CBORErrorBody(typ, message string) []byte {
	w := NewCBORWriter(nil)
	w.buf = append(w.buf, 0xa2)
	w.text("__type")
	w.text(typ)
	w.text("message")
	w.text(message)
	return w.buf
}
