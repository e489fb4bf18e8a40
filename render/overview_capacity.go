package render

import (
	"ecsctl/ops/overview"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Capacity writes `ecsctl capacity`: instances, the total, what fits per
// service, and the instances an --add needs.
func Capacity(w io.Writer, r *overview.CapacityReport, showInstances bool) error {
	if showInstances {
		var rows [][]string
		for _, i := range r.Instances {
			rows = append(rows, []string{i.InstanceID, i.AZ, i.Type, i.Status, strconv.Itoa(i.Tasks),
				strconv.Itoa(i.CPURegistered), strconv.Itoa(i.CPUReserved), strconv.Itoa(i.CPUFree),
				strconv.Itoa(i.MemoryRegistered), strconv.Itoa(i.MemoryReserved), strconv.Itoa(i.MemoryFree)})
		}
		t := r.Total
		rows = append(rows, []string{"TOTAL", "", "", fmt.Sprintf("%d instances", t.Instances), "",
			strconv.Itoa(t.CPURegistered), strconv.Itoa(t.CPUReserved), strconv.Itoa(t.CPUFree),
			strconv.Itoa(t.MemoryRegistered), strconv.Itoa(t.MemoryReserved), strconv.Itoa(t.MemoryFree)})
		if err := Table(w, []string{"INSTANCE", "AZ", "TYPE", "STATUS", "TASKS", "CPU REGISTERED", "CPU RESERVED", "CPU FREE", "MEM REGISTERED", "MEM RESERVED", "MEM FREE"}, rows); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	t := r.Total
	fmt.Fprintf(w, "cluster %s: %d instances (%d schedulable); CPU %s reserved, %d free; memory %s reserved, %d MiB free\n\n",
		r.Cluster, t.Instances, t.SchedulableInstance, overviewOf(t.CPUReserved, t.CPURegistered), t.SchedulableCPUFree,
		overviewOf(t.MemoryReserved, t.MemoryRegistered), t.SchedulableMemFree)
	var rows [][]string
	for _, s := range r.Services {
		fits := strconv.Itoa(s.Fits)
		if s.Fits < 0 {
			fits = "daemon"
		}
		if s.Fargate {
			fits = "fargate"
		}
		limit := s.Limit
		if limit == "" {
			limit = "-"
		}
		cons := strings.Join(s.Constraints, "; ")
		if cons == "" {
			cons = "-"
		}
		rows = append(rows, []string{s.Name, strconv.Itoa(s.TaskCPU), strconv.Itoa(s.TaskMemory), fmt.Sprintf("%d/%d", s.Running, s.Desired), fits, limit, cons})
	}
	if err := Table(w, []string{"SERVICE", "TASK CPU", "TASK MEM", "RUNNING", "MORE FIT NOW", "LIMIT", "CONSTRAINTS"}, rows); err != nil {
		return err
	}
	if n := r.NewNeeded; n != nil {
		fmt.Fprintln(w)
		var add [][]string
		for _, a := range r.Additions {
			add = append(add, []string{a.Service, strconv.Itoa(a.Count), strconv.Itoa(a.FitNow), strconv.Itoa(a.OnNew), strconv.Itoa(a.Unplaced)})
		}
		if err := Table(w, []string{"ADD", "TASKS", "FIT NOW", "ON NEW INSTANCES", "UNPLACEABLE"}, add); err != nil {
			return err
		}
		asg := ""
		if n.AutoScalingGroup != "" {
			asg = " (Auto Scaling group " + n.AutoScalingGroup + ")"
		}
		fmt.Fprintf(w, "\nneeds %d more %s instance(s)%s of %d CPU / %d MiB each\n", n.Instances, n.InstanceType, asg, n.CPUPerInstance, n.MemPerInstance)
		if n.Note != "" {
			fmt.Fprintf(w, "note: %s\n", n.Note)
		}
	}
	return nil
}
