package sim

import "sort"

// sortedKeys is a map's keys in order: the sandbox answers in a stable order
// where AWS's order is unspecified.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
