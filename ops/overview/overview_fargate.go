package overview

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Fargate and capacity provider strategies in the overviews.
//
// A service has either a launchType or a capacityProviderStrategy, never
// both (CreateServiceInput.LaunchType doc in the SDK). A Fargate task has no
// containerInstanceArn; its address is its ENI's (the task's
// ElasticNetworkInterface attachment, details privateIPv4Address and
// networkInterfaceId; ECS developer guide, "Fargate task networking"), and
// it reserves nothing on any container instance.

// StrategyItem is one capacity provider of a service's strategy.
type StrategyItem struct {
	Provider string `json:"capacityProvider"`
	Weight   int    `json:"weight"`
	Base     int    `json:"base"`
}

// serviceLaunch describes how a service gets capacity: its launch type
// ("EC2", "FARGATE"), or its strategy as "FARGATE_SPOT:3,FARGATE:1 base 1",
// or "-" when DescribeServices says neither.
func serviceLaunch(s types.Service) (string, []StrategyItem) {
	if len(s.CapacityProviderStrategy) > 0 {
		items := make([]StrategyItem, 0, len(s.CapacityProviderStrategy))
		parts := make([]string, 0, len(s.CapacityProviderStrategy))
		for _, it := range s.CapacityProviderStrategy {
			si := StrategyItem{Provider: aws.ToString(it.CapacityProvider), Weight: int(it.Weight), Base: int(it.Base)}
			items = append(items, si)
			p := si.Provider + ":" + strconv.Itoa(si.Weight)
			if si.Base > 0 {
				p += " base " + strconv.Itoa(si.Base)
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, ","), items
	}
	if s.LaunchType != "" {
		return string(s.LaunchType), nil
	}
	return "-", nil
}

// withLaunch fills the rows' launch type or strategy from the described
// services (rows and svcs matched by name).
func withLaunch(rows []ServiceRow, svcs []types.Service) {
	by := map[string]types.Service{}
	for _, s := range svcs {
		by[aws.ToString(s.ServiceName)] = s
	}
	for i := range rows {
		if s, ok := by[rows[i].Name]; ok {
			rows[i].Launch, rows[i].CapacityProviderStrategy = serviceLaunch(s)
		}
	}
}

// taskOnFargate: the task runs on Fargate (it has no container instance).
func taskOnFargate(t types.Task) bool {
	return t.LaunchType == types.LaunchTypeFargate || strings.HasPrefix(aws.ToString(t.CapacityProviderName), "FARGATE")
}

// taskENI returns a task's network interface and private IPv4 address
// (awsvpc tasks; "" for others), from its ENI attachment, else from its
// containers' networkInterfaces.
func taskENI(t types.Task) (eni, ip string) {
	for _, a := range t.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range a.Details {
			switch aws.ToString(d.Name) {
			case "networkInterfaceId":
				eni = aws.ToString(d.Value)
			case "privateIPv4Address":
				ip = aws.ToString(d.Value)
			}
		}
	}
	if ip == "" {
		for _, c := range t.Containers {
			for _, ni := range c.NetworkInterfaces {
				if v := aws.ToString(ni.PrivateIpv4Address); v != "" && ip == "" {
					ip = v
				}
			}
		}
	}
	return eni, ip
}

// fillTaskPlacement sets where a task runs beyond its instance: launch type,
// capacity provider and (awsvpc) network interface and address.
func fillTaskPlacement(tr *TaskRow, t types.Task) {
	tr.LaunchType = string(t.LaunchType)
	if taskOnFargate(t) {
		tr.LaunchType = string(types.LaunchTypeFargate)
	}
	tr.CapacityProvider = aws.ToString(t.CapacityProviderName)
	tr.ENI, tr.PrivateIP = taskENI(t)
}

// Where renders where a task runs for a table: its EC2 instance, or for a
// task without one (Fargate) its private IP and network interface.
func (t TaskRow) Where() string {
	if t.InstanceID != "" || t.ENI == "" && t.PrivateIP == "" {
		return t.InstanceID
	}
	if t.ENI == "" {
		return t.PrivateIP
	}
	return t.PrivateIP + " (" + t.ENI + ")"
}
