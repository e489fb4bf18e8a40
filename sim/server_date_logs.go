package sim

import "net/http"

// setVirtualDate sends the account's virtual time as the response's Date
// header, as AWS sends its own clock: a client that follows logs learns from
// it how far the server's time has moved while its streams are quiet. Calls
// answered before reaching the account (injected faults) keep net/http's
// real-time Date.
func setVirtualDate(h http.Header, c *call) {
	if !c.record.Virtual.IsZero() {
		h.Set("Date", c.record.Virtual.UTC().Format(http.TimeFormat))
	}
}
