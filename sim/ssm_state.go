package sim

import (
	"regexp"
	"sort"
	"time"
)

// SSM Parameter Store: plain String parameters from the world, with their
// version history (as AWS keeps the last 100 versions).

type ssmState struct {
	Params map[string]*SSMParam `json:"params"`
}

// SSMParam is one parameter and its versions (oldest first).
type SSMParam struct {
	Name     string            `json:"name"`
	Versions []SSMParamVersion `json:"versions"`
}

// SSMParamVersion is one version of a parameter.
type SSMParamVersion struct {
	Version      int64     `json:"version"`
	Value        string    `json:"value"`
	DataType     string    `json:"dataType"`
	LastModified time.Time `json:"lastModified"`
}

const ssmMaxVersions = 100

var amiIDPattern = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)

func newSSMState() *ssmState { return &ssmState{Params: map[string]*SSMParam{}} }

func init() {
	registerWorldLoader(5, "ssm", func(s *Sim, w *World) error {
		names := make([]string, 0, len(w.SSMParameters))
		for n := range w.SSMParameters {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := validSSMName(n); err != nil {
				return err
			}
			s.putParameter(n, w.SSMParameters[n])
		}
		return nil
	})
	registerAfterLoad(func(s *Sim) {
		if s.ssm == nil {
			s.ssm = newSSMState()
		}
	})
}

// PutParameter writes a String parameter (a new version if it exists), as
// `aws ssm put-parameter --overwrite` would. AMI IDs get the aws:ec2:image
// data type.
func (s *Sim) PutParameter(name, value string) error {
	s.Lock()
	defer s.Unlock()
	if err := validSSMName(name); err != nil {
		return err
	}
	s.putParameter(name, value)
	return nil
}

func (s *Sim) putParameter(name, value string) {
	p := s.ssm.Params[name]
	if p == nil {
		p = &SSMParam{Name: name}
		s.ssm.Params[name] = p
	}
	v := int64(1)
	if n := len(p.Versions); n > 0 {
		v = p.Versions[n-1].Version + 1
	}
	dt := "text"
	if amiIDPattern.MatchString(value) {
		dt = "aws:ec2:image"
	}
	p.Versions = append(p.Versions, SSMParamVersion{Version: v, Value: value, DataType: dt, LastModified: s.now})
	if len(p.Versions) > ssmMaxVersions {
		p.Versions = append([]SSMParamVersion(nil), p.Versions[len(p.Versions)-ssmMaxVersions:]...)
	}
}
