package tui

import (
	"context"
	"fmt"
	"log"
	"strconv"

	tea "github.com/charmbracelet/bubbletea"

	"ecsctl/ops/deploy"
	"ecsctl/ops/overview"
)

// topActionKind is an action the dashboard can take.
type topActionKind int

const (
	actScale topActionKind = iota
	actForce
	actRollback
	actDrain
	actActivate
)

// topAction is one action waiting for confirmation or running.
type topAction struct {
	kind     topActionKind
	cluster  string
	service  string
	count    int
	from     int
	instArn  string
	instID   string
	noteKey  string // row the note goes on
	question string
}

// allowed is the one place --read-only is checked: every action goes
// through it before any prompt or AWS call.
func (m *Model) allowed(kind topActionKind) bool {
	if m.opts.ReadOnly || m.opts.Actions == nil {
		m.message = "read-only: actions are disabled (started with --read-only)"
		return false
	}
	return true
}

// startAction begins an action from a key on the selected row: scale asks
// for the count first; every action then asks for confirmation.
func (m *Model) startAction(kind topActionKind) tea.Cmd {
	if !m.allowed(kind) {
		return nil
	}
	a := topAction{kind: kind, cluster: m.cluster}
	switch kind {
	case actScale, actForce, actRollback:
		svc, ok := m.selectedService()
		if !ok {
			m.message = "select a service first (views 2 and its drill-down)"
			return nil
		}
		if why := deployActionBlocked(kind, svc); why != "" {
			m.message = why
			return nil
		}
		a.service, a.from, a.noteKey = svc.Name, svc.Desired, "svc:"+svc.Name
	case actDrain, actActivate:
		arn, id, status, ok := m.selectedInstance()
		if !ok {
			m.message = "select an instance first (view 3 and its drill-down)"
			return nil
		}
		if kind == actDrain && status == overview.InstanceDraining {
			m.message = fmt.Sprintf("%s is already draining", id)
			return nil
		}
		if kind == actActivate && status == overview.InstanceActive {
			m.message = fmt.Sprintf("%s is already active", id)
			return nil
		}
		a.instArn, a.instID, a.noteKey = arn, id, "inst:"+arn
	}
	if kind == actScale {
		m.confirm = &a
		m.mode = modeCount
		m.input = []rune(strconv.Itoa(a.from))
		m.inputPos = len(m.input)
		return nil
	}
	m.ask(a)
	return nil
}

// ask shows the confirmation dialog for a.
func (m *Model) ask(a topAction) {
	switch a.kind {
	case actScale:
		a.question = fmt.Sprintf("Scale %s/%s from %d to %d tasks?", a.cluster, a.service, a.from, a.count)
	case actForce:
		a.question = fmt.Sprintf("Force a new deployment of %s/%s?\nEvery task is replaced with a fresh one of the same revision.", a.cluster, a.service)
	case actRollback:
		a.question = fmt.Sprintf("Roll %s/%s back to the revision it last ran successfully?", a.cluster, a.service)
	case actDrain:
		a.question = fmt.Sprintf("Drain instance %s of %s?\nECS moves its service tasks elsewhere and places no new ones on it.", a.instID, a.cluster)
	case actActivate:
		a.question = fmt.Sprintf("Activate instance %s of %s?\nECS may place tasks on it again.", a.instID, a.cluster)
	}
	m.confirm = &a
	m.mode = modeConfirm
}

// run performs a confirmed action in a command; its progress shows on the
// row until the refresh after it is done.
func (m *Model) run(a topAction) tea.Cmd {
	if !m.allowed(a.kind) {
		return nil
	}
	acts := m.opts.Actions
	switch a.kind {
	case actScale:
		m.notes[a.noteKey] = fmt.Sprintf("scaling → %d…", a.count)
	case actForce:
		m.notes[a.noteKey] = "forcing deployment…"
	case actRollback:
		m.notes[a.noteKey] = "rolling back…"
	case actDrain:
		m.notes[a.noteKey] = "draining…"
	case actActivate:
		m.notes[a.noteKey] = "activating…"
	}
	m.message = m.notes[a.noteKey]
	log.Printf("top: action %d on %s/%s%s", a.kind, a.cluster, a.service, a.instID)
	m.rebuild()
	m.actionsInFlight++
	return m.io(func(ctx context.Context) tea.Msg {
		msg := actionMsg{act: a}
		switch a.kind {
		case actScale:
			msg.result, msg.err = acts.ScaleService(ctx, a.cluster, a.service, a.count)
		case actForce:
			msg.result, msg.err = acts.ForceDeployment(ctx, a.cluster, a.service)
		case actRollback:
			msg.result, msg.err = acts.Rollback(ctx, a.cluster, a.service)
		case actDrain:
			msg.result, msg.err = acts.SetInstanceState(ctx, a.cluster, a.instArn, overview.InstanceDraining)
		case actActivate:
			msg.result, msg.err = acts.SetInstanceState(ctx, a.cluster, a.instArn, overview.InstanceActive)
		}
		return msg
	})
}

func (m *Model) onAction(msg actionMsg) tea.Cmd {
	m.actionsInFlight--
	if msg.err != nil {
		delete(m.notes, msg.act.noteKey)
		m.setErr(msg.err)
		m.message = ""
		m.rebuild()
		return nil
	}
	m.notes[msg.act.noteKey] = "✓ " + msg.result
	m.doneNotes = append(m.doneNotes, msg.act.noteKey)
	m.message = msg.result
	log.Printf("top: %s", msg.result)
	m.rebuild()
	// Show the effect at once (the next refresh starts when any in
	// flight returns).
	return m.refresh()
}

// clearDoneNotes drops the notes of finished actions once a refresh has
// shown their effect (the second refresh after: the first may have been
// in flight before the action).
func (m *Model) clearDoneNotes() {
	var keep []string
	for _, k := range m.doneNotes {
		if m.noteAge[k]++; m.noteAge[k] >= 2 {
			delete(m.notes, k)
			delete(m.noteAge, k)
			continue
		}
		keep = append(keep, k)
	}
	m.doneNotes = keep
}

// selectedService is the service under the cursor (or of the drill-down).
func (m *Model) selectedService() (overview.ServiceRow, bool) {
	switch m.view {
	case viewService:
		if m.detail != nil {
			return m.detail.Service, true
		}
		for _, s := range m.services {
			if s.Name == m.service {
				return s, true
			}
		}
	case viewServices:
		r, ok := m.table().current()
		if !ok {
			return overview.ServiceRow{}, false
		}
		for _, s := range m.services {
			if "svc:"+s.Name == r.Key {
				return s, true
			}
		}
	}
	return overview.ServiceRow{}, false
}

// selectedInstance is the instance under the cursor (or of the drill-down).
func (m *Model) selectedInstance() (arn, id, status string, ok bool) {
	switch m.view {
	case viewInstance:
		for _, in := range m.instances {
			if in.ContainerInstanceArn == m.instanceArn {
				return in.ContainerInstanceArn, in.InstanceID, in.Status, true
			}
		}
		return m.instanceArn, m.instanceID, "", true
	case viewInstances:
		r, ok := m.table().current()
		if !ok {
			return "", "", "", false
		}
		for _, in := range m.instances {
			if "inst:"+in.ContainerInstanceArn == r.Key {
				return in.ContainerInstanceArn, in.InstanceID, in.Status, true
			}
		}
	}
	return "", "", "", false
}

// OpsActions carries out the dashboard's actions through package ops:
// scaling with ServiceScaler, rollback with Deployer.Rollback (not
// waited for: the dashboard shows its progress), forced deployments and
// instance state with overview.ForceNewDeployment and overview.SetInstanceState.
type OpsActions struct {
	Scaler   *overview.ServiceScaler
	Deployer *deploy.Deployer
	ECS      overview.TopActionECS
}

// ScaleService sets the desired count.
func (a *OpsActions) ScaleService(ctx context.Context, cluster, service string, count int) (string, error) {
	res, err := a.Scaler.Scale(ctx, overview.ScaleServiceRequest{Cluster: cluster, Service: service, Count: count})
	if err != nil {
		return "", err
	}
	s := fmt.Sprintf("%s/%s desired %d → %d", cluster, service, res.From, res.To)
	if res.Warning != "" {
		s += " (" + res.Warning + ")"
	}
	return s, nil
}

// ForceDeployment starts a new deployment of the same revision.
func (a *OpsActions) ForceDeployment(ctx context.Context, cluster, service string) (string, error) {
	id, err := overview.ForceNewDeployment(ctx, a.ECS, cluster, service)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%s new deployment %s started", cluster, service, id), nil
}

// Rollback starts the rollback to the revision the service last ran
// successfully (deploy.Deployer.Rollback picks it from the deployment history).
func (a *OpsActions) Rollback(ctx context.Context, cluster, service string) (string, error) {
	res, err := a.Deployer.Rollback(ctx, deploy.RollbackRequest{Cluster: cluster, Service: service, NoWait: true})
	if err != nil {
		return "", err
	}
	if res == nil || len(res.Services) == 0 {
		return "", fmt.Errorf("roll back %s/%s: no result", cluster, service)
	}
	r := res.Services[0]
	return fmt.Sprintf("%s/%s rolling back %s → %s", cluster, service, shortName(r.OldTaskDefinition), shortName(r.NewTaskDefinition)), nil
}

// SetInstanceState drains or activates one container instance.
func (a *OpsActions) SetInstanceState(ctx context.Context, cluster, containerInstance, state string) (string, error) {
	if err := overview.SetInstanceState(ctx, a.ECS, cluster, []string{containerInstance}, state); err != nil {
		return "", err
	}
	verb := "draining"
	if state == overview.InstanceActive {
		verb = "active"
	}
	return fmt.Sprintf("instance %s of %s is %s", shortName(containerInstance), cluster, verb), nil
}

func shortName(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}

// deployActionBlocked says why a deploy action (force, rollback) is off for
// a service whose deployment controller ecsctl does not drive; scaling
// stays on (UpdateService takes a desired count under every controller).
func deployActionBlocked(kind topActionKind, svc overview.ServiceRow) string {
	if kind != actForce && kind != actRollback {
		return ""
	}
	switch svc.Controller {
	case "CODE_DEPLOY":
		return fmt.Sprintf("disabled for %s: it uses the CODE_DEPLOY controller; deploy and roll back with AWS CodeDeploy", svc.Name)
	case "EXTERNAL":
		return fmt.Sprintf("disabled for %s: it uses the EXTERNAL controller; deploy and roll back with your controller's task sets", svc.Name)
	}
	return ""
}

// deployKindHint is the detail view's word on a service's DeployKind.
func deployKindHint(kind string) string {
	switch kind {
	case "CODE_DEPLOY", "EXTERNAL":
		return " (deploy actions disabled: ecsctl does not drive this controller)"
	}
	return " (both revisions run through the bake time)"
}
