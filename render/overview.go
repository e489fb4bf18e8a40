package render

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops/overview"
)

// OverviewAge is a compact duration for tables: 45s, 12m, 3h5m, 4d2h.
func OverviewAge(seconds int64) string { return fmtx.AgeSeconds(seconds) }

func overviewPct(p *float64) string { return fmtx.Pct(p) }

// overviewOf is "part/whole (pct%)".
func overviewOf(part, whole int) string {
	if whole == 0 {
		return fmt.Sprintf("%d/%d", part, whole)
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", part, whole, 100*float64(part)/float64(whole))
}

// OverviewClusters writes the `ecsctl clusters` table.
func OverviewClusters(w io.Writer, rows []overview.ClusterSummary) error {
	header := []string{"CLUSTER", "STATUS", "INSTANCES", "DRAINING", "SERVICES", "RUNNING", "PENDING", "CPU RESERVED", "MEMORY RESERVED", "CPU UTIL", "MEM UTIL"}
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{r.Name, r.Status, strconv.Itoa(r.ActiveInstances), strconv.Itoa(r.DrainingInstances),
			strconv.Itoa(r.Services), strconv.Itoa(r.RunningTasks), strconv.Itoa(r.PendingTasks),
			overviewOf(r.CPUReserved, r.CPURegistered), overviewOf(r.MemoryReserved, r.MemoryRegistered),
			overviewPct(r.CPUUtilization), overviewPct(r.MemoryUtilization)})
	}
	return Table(w, header, out)
}

// OverviewServices writes the `ecsctl services` table.
func OverviewServices(w io.Writer, rows []overview.ServiceRow) error {
	header := []string{"SERVICE", "DESIRED", "RUNNING", "PENDING", "STATE", "AGE", "TASK DEFINITION", "TAG", "CPU", "MEMORY", "CPU UTIL", "MEM UTIL"}
	var out [][]string
	for _, r := range rows {
		state := r.State
		if r.Deployments > 1 {
			state = fmt.Sprintf("%s (%d deployments)", r.State, r.Deployments)
		}
		if k := r.DeployKind(); k != "" {
			state += " [" + k + "]"
		}
		out = append(out, []string{r.Name, strconv.Itoa(r.Desired), strconv.Itoa(r.Running), strconv.Itoa(r.Pending),
			state, OverviewAge(r.AgeSeconds), r.TaskDefinition, r.ImageTag,
			strconv.Itoa(r.CPUReserved), strconv.Itoa(r.MemoryReserved),
			overviewPct(r.CPUUtilization), overviewPct(r.MemoryUtilization)})
	}
	header, out = launchColumn(header, out, rows)
	return Table(w, header, out)
}

// launchColumn adds the LAUNCH column (launch type or capacity provider
// strategy) to the services table.
func launchColumn(header []string, out [][]string, rows []overview.ServiceRow) ([]string, [][]string) {
	header = append(header, "LAUNCH")
	for i := range out {
		l := rows[i].Launch
		if l == "" {
			l = "-"
		}
		out[i] = append(out[i], l)
	}
	return header, out
}

// OverviewInstances writes the `ecsctl instances` table; an AMI that is not the
// one the instance's Auto Scaling group launches now is marked "(old)".
func OverviewInstances(w io.Writer, rows []overview.InstanceRow) error {
	header := []string{"INSTANCE", "AZ", "TYPE", "AMI", "STATUS", "AGENT", "TASKS", "CPU RESERVED", "CPU FREE", "MEM RESERVED", "MEM FREE", "AGE"}
	var out [][]string
	for _, r := range rows {
		ami := r.AMI
		switch r.AMIState {
		case overview.InstanceAMIOld:
			ami += " (old)"
		case overview.InstanceAMICurrent:
			ami += " (current)"
		}
		agent := "connected"
		if !r.AgentConnected {
			agent = "DISCONNECTED"
		}
		if r.AgentVersion != "" {
			agent += " " + r.AgentVersion
		}
		tasks := strconv.Itoa(r.RunningTasks)
		if r.PendingTasks > 0 {
			tasks += fmt.Sprintf(" (+%d pending)", r.PendingTasks)
		}
		out = append(out, []string{r.InstanceID, r.AZ, r.Type, ami, r.Status, agent, tasks,
			overviewOf(r.CPUReserved, r.CPURegistered), strconv.Itoa(r.CPUFree),
			overviewOf(r.MemoryReserved, r.MemoryRegistered), strconv.Itoa(r.MemoryFree), OverviewAge(r.AgeSeconds)})
	}
	return Table(w, header, out)
}

// ServiceStatus writes `ecsctl status`: a summary, the deployments, the tasks,
// targets no current task owns (draining), and the last events.
func ServiceStatus(w io.Writer, st *overview.ServiceStatus, now time.Time) error {
	s := st.Service
	fmt.Fprintf(w, "service     %s/%s (%s)\n", s.Cluster, s.Name, s.Status)
	fmt.Fprintf(w, "state       %s\n", s.State)
	fmt.Fprintf(w, "scale       desired %d, running %d, pending %d (min healthy %d%%, max %d%%)\n", s.Desired, s.Running, s.Pending, st.MinHealthy, st.MaxPercent)
	fmt.Fprintf(w, "revision    %s (image %s)\n", s.TaskDefinition, s.Image)
	if line := serviceDeployLine(s); line != "" {
		fmt.Fprintf(w, "deploys     %s\n", line)
	}
	if sd := st.ServiceDeployment; sd != nil {
		line := sd.Status + " " + sd.Stage
		if sd.ProductionTraffic != nil {
			line += fmt.Sprintf(", production traffic %g%% on the new revision", *sd.ProductionTraffic)
		}
		if sd.Error != "" {
			line = "unknown (" + sd.Error + ")"
		}
		fmt.Fprintf(w, "deploying   %s\n", line)
	}
	fmt.Fprintf(w, "reserved    cpu %d, memory %d MiB (utilization cpu %s, memory %s)\n", s.CPUReserved, s.MemoryReserved, overviewPct(s.CPUUtilization), overviewPct(s.MemoryUtilization))
	if s.Launch != "" {
		fmt.Fprintf(w, "launch      %s\n", s.Launch)
	}
	fmt.Fprintln(w)
	var deps [][]string
	for _, d := range st.Deployments {
		state := d.RolloutState
		if d.RolloutReason != "" {
			state += ": " + d.RolloutReason
		}
		deps = append(deps, []string{d.ID, d.Status, d.TaskDefinition, strconv.Itoa(d.Desired), strconv.Itoa(d.Running), strconv.Itoa(d.Pending), strconv.Itoa(d.Failed),
			OverviewAge(int64(now.Sub(d.CreatedAt) / time.Second)), state})
	}
	if err := Table(w, []string{"DEPLOYMENT", "STATUS", "TASK DEFINITION", "DESIRED", "RUNNING", "PENDING", "FAILED", "AGE", "ROLLOUT"}, deps); err != nil {
		return err
	}
	fmt.Fprintln(w)
	var tasks [][]string
	for _, t := range st.Tasks {
		started := "-"
		if t.StartedAt != nil {
			started = t.StartedAt.Format(time.RFC3339) + " (" + OverviewAge(int64(now.Sub(*t.StartedAt)/time.Second)) + " ago)"
		}
		target := t.TargetHealth
		if target == "" {
			target = "-"
		}
		tasks = append(tasks, []string{t.ID, t.Where(), t.AZ, t.LastStatus, t.Health, started, strconv.Itoa(t.Revision), target})
	}
	if err := Table(w, []string{"TASK", taskWhereHeader(st.Tasks), "AZ", "STATUS", "HEALTH", "STARTED", "REVISION", "TARGET"}, tasks); err != nil {
		return err
	}
	var orphans [][]string
	for _, t := range st.Targets {
		if t.TaskID == "" {
			orphans = append(orphans, []string{t.TargetGroup, t.ID, strconv.Itoa(t.Port), t.State, t.Reason})
		}
	}
	if len(orphans) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "targets of no running task:")
		if err := Table(w, []string{"TARGET GROUP", "TARGET", "PORT", "STATE", "REASON"}, orphans); err != nil {
			return err
		}
	}
	if len(st.Events) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "events:")
		for _, e := range st.Events {
			ServiceEventLine(w, s.Cluster, s.Name, e)
		}
	}
	return nil
}

// ServiceEventLine writes one service event as a CI line.
func ServiceEventLine(w io.Writer, cluster, service string, e overview.ServiceEvent) {
	Line(w, e.At, cluster+"/"+service, "%s", e.Message)
}

// serviceDeployLine says how a service deploys when it is not the default
// (ECS controller, rolling), and what ecsctl does with it.
func serviceDeployLine(s overview.ServiceRow) string {
	switch k := s.DeployKind(); k {
	case "":
		return ""
	case "CODE_DEPLOY":
		return "CODE_DEPLOY controller (task sets): deploy and roll back with AWS CodeDeploy, not ecsctl"
	case "EXTERNAL":
		return "EXTERNAL controller (task sets): deploy and roll back with your controller, not ecsctl"
	default:
		return "ECS controller, " + k + " strategy: both revisions run until the bake time is over"
	}
}

// taskWhereHeader names the column of where tasks run: INSTANCE, or
// INSTANCE/IP when some task has no instance but an address (Fargate).
func taskWhereHeader(tasks []overview.TaskRow) string {
	for _, t := range tasks {
		if t.InstanceID == "" && t.Where() != "" {
			return "INSTANCE/IP"
		}
	}
	return "INSTANCE"
}
