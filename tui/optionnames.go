package tui

// dashboardOption is what the dashboard calls an option that ops names by
// its request field (ops.Opt): the dashboard has no flags, so a message
// from ops must not tell its user to pass one. The number typed at the
// scale prompt is the service's desired count; every other option keeps
// ops's plain words ("" asks for them).
func dashboardOption(field string) string {
	switch field {
	case "Count":
		return "desired count"
	}
	return ""
}
