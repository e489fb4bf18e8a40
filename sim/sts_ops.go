package sim

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func init() {
	register(SvcSTS, "GetCallerIdentity", (*Sim).stsGetCallerIdentity)
}

// stsGetCallerIdentity answers for the sandbox's one identity, an IAM user
// named "sandbox" in the account.
func (s *Sim) stsGetCallerIdentity(in *sts.GetCallerIdentityInput) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{
		Account: aws.String(s.AccountID),
		Arn:     aws.String(s.sandboxUserArn()),
		UserId:  aws.String(s.sandboxUserID()),
	}, nil
}

// sandboxUserID is the IAM user's unique ID (AIDA + 17 characters), stable
// for an account.
func (s *Sim) sandboxUserID() string {
	id := iamProfileID("user/sandbox@" + s.AccountID)
	return "AIDA" + id[4:]
}
