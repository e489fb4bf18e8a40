package render

import (
	"ecsctl/ops/overview"
	"fmt"
	"io"
	"strconv"
)

// ScaleService writes the outcome of `ecsctl scale service`.
func ScaleService(w io.Writer, r *overview.ScaleServiceResult) error {
	bounds := "-"
	if b := r.Autoscaling; b != nil {
		bounds = fmt.Sprintf("%d-%d", b.Min, b.Max)
		if u := r.AutoscalingUpdated; u != nil {
			bounds += fmt.Sprintf(" → %d-%d", u.Min, u.Max)
			if r.DryRun {
				bounds += " (dry run)"
			}
		}
	}
	running := strconv.Itoa(r.Running)
	if r.Pending > 0 {
		running += fmt.Sprintf(" (+%d pending)", r.Pending)
	}
	err := Table(w, []string{"SERVICE", "DESIRED", "RUNNING", "AUTOSCALING", "OUTCOME"},
		[][]string{{r.Cluster + "/" + r.Service, fmt.Sprintf("%d → %d", r.From, r.To), running, bounds, r.Outcome}})
	if err == nil && r.Warning != "" {
		_, err = fmt.Fprintf(w, "warning: %s\n", r.Warning)
	}
	return err
}
