// Package optname lets ops name an option of its requests in the words of
// the front end that called it: the CLI says "--timeout-per-batch", the
// dashboard has no flags at all. ops names an option by its request field
// ("TimeoutPerBatch"); the front end puts a namer in the context. It is a
// leaf package so that ops/awsapi, below ops, can use it too (its
// not-found hints name the option that named the missing resource).
package optname

import (
	"context"
	"strings"
	"unicode"
)

type namesKey struct{}

// With returns ctx carrying names, which turns a request field into the
// front end's name for the option that sets it ("" when it has none).
func With(ctx context.Context, names func(field string) string) context.Context {
	return context.WithValue(ctx, namesKey{}, names)
}

// Name is the front end's name for the option field sets, or Plain(field)
// when ctx carries no namer or the namer has no name for it.
func Name(ctx context.Context, field string) string {
	if names, ok := ctx.Value(namesKey{}).(func(string) string); ok && names != nil {
		if n := names(field); n != "" {
			return n
		}
	}
	return Plain(field)
}

// Plain spells a field in words, for a caller that set no namer:
// "TimeoutPerBatch" is "timeout per batch", "SSMParameter" "SSM parameter",
// "ASG" stays "ASG" (a run of capitals is an initialism).
func Plain(field string) string {
	r := []rune(field)
	var words []string
	start := 0
	for i := 1; i <= len(r); i++ {
		if i < len(r) && !wordBreak(r, i) {
			continue
		}
		w := string(r[start:i])
		if !isUpperRun(w) {
			w = strings.ToLower(w)
		}
		words = append(words, w)
		start = i
	}
	return strings.Join(words, " ")
}

// wordBreak: a word starts at a capital after a lower-case letter or digit,
// or at the last capital of a run followed by a lower-case letter (the "P"
// of "SSMParameter").
func wordBreak(r []rune, i int) bool {
	if !unicode.IsUpper(r[i]) {
		return false
	}
	if !unicode.IsUpper(r[i-1]) {
		return true
	}
	return i+1 < len(r) && unicode.IsLower(r[i+1])
}

func isUpperRun(w string) bool {
	r := []rune(w)
	return len(r) > 1 && strings.ToUpper(w) == w
}
