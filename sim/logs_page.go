package sim

import (
	"encoding/base64"
	"encoding/json"
	"sort"
)

// Paging helpers shared by the logs-side services. Tokens are opaque to
// clients: base64 of a small JSON position.

func pageTokenEncode(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func pageTokenDecode(tok string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil && json.Unmarshal(b, v) == nil
}

// pageOfKeys sorts keys and returns up to limit of those after the position
// in token (the last key of the previous page), with the next page's token
// when more remain. ok is false for a token that is not one of ours.
func pageOfKeys(keys []string, token *string, limit int) (page []string, next *string, ok bool) {
	sort.Strings(keys)
	i := 0
	if token != nil {
		var after string
		if !pageTokenDecode(*token, &after) {
			return nil, nil, false
		}
		i = sort.SearchStrings(keys, after)
		if i < len(keys) && keys[i] == after {
			i++
		}
	}
	end := min(len(keys), i+limit)
	page = keys[i:end]
	if end < len(keys) && len(page) > 0 {
		t := pageTokenEncode(page[len(page)-1])
		next = &t
	}
	return page, next, true
}
