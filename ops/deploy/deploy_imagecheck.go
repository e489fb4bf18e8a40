package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"ecsctl/ops/awsapi"
)

// ECRPullThrough tells a pull-through cache repository not pulled
// yet from a missing one (*ecr.Client satisfies it; an ECR without it
// treats every missing repository as missing).
type ECRPullThrough interface {
	DescribePullThroughCacheRules(ctx context.Context, in *ecr.DescribePullThroughCacheRulesInput, optFns ...func(*ecr.Options)) (*ecr.DescribePullThroughCacheRulesOutput, error)
}

// uncheckableImage returns a note when DescribeImages' answer (err) does
// not tell whether the image exists, so the deploy goes on; "" when the
// answer is definite (found, or not found in a repository this account can
// read). Unanswerable:
//   - the call was denied (an identity policy without ecr:DescribeImages, or
//     a repository policy of another account that grants pulls only);
//   - another account's registry says the repository does not exist: ECR
//     does not tell a missing repository from one this account may not see;
//   - the repository is under a pull-through cache rule: ECR creates it, and
//     caches the tag, on the first pull (ECR user guide, "Sync an upstream
//     registry"), so "not found" means "not pulled yet".
func (d *Deployer) uncheckableImage(ctx context.Context, res *ServiceResult, container string, ref ImageRef, account string, err error) string {
	code := awsapi.ErrorCode(err)
	switch code {
	case "AccessDeniedException", "AccessDenied":
		where := "repository " + ref.Repository
		if own := arnAccount(res.OldTaskDefinition); own != "" && own != account {
			where += " of account " + account + "'s registry"
		}
		return fmt.Sprintf("%s: %s not checked: ecr:DescribeImages is denied on %s (%s); ECS reports it if the image cannot be pulled", container, ref.String(), where, awsMessage(err))
	case "RepositoryNotFoundException", "ImageNotFoundException":
	default:
		return ""
	}
	if own := arnAccount(res.OldTaskDefinition); own != "" && own != account {
		if code == "RepositoryNotFoundException" {
			return fmt.Sprintf("%s: %s not checked: account %s's registry does not show repository %s to this account; ECS reports it if the image cannot be pulled", container, ref.String(), account, ref.Repository)
		}
		// A repository this account reads says the tag is not there; pull
		// through cache rules are the other registry's, not for us to read.
		return ""
	}
	ptc, ok := d.ECR.(ECRPullThrough)
	if !ok {
		return ""
	}
	out, perr := ptc.DescribePullThroughCacheRules(ctx, &ecr.DescribePullThroughCacheRulesInput{RegistryId: aws.String(account)})
	if perr != nil {
		if c := awsapi.ErrorCode(perr); c == "AccessDeniedException" || c == "AccessDenied" {
			return fmt.Sprintf("%s: %s not checked: ECR answers %s, and whether repository %s is a pull-through cache cannot be read (ecr:DescribePullThroughCacheRules is denied); ECS reports it if the image cannot be pulled",
				container, ref.String(), code, ref.Repository)
		}
		return ""
	}
	for _, r := range out.PullThroughCacheRules {
		if p := aws.ToString(r.EcrRepositoryPrefix); p != "" && strings.HasPrefix(ref.Repository, p+"/") {
			return fmt.Sprintf("%s: %s not checked: it comes through the pull-through cache %s (upstream %s) and has not been pulled yet; ECR fetches it on the first pull",
				container, ref.String(), p, aws.ToString(r.UpstreamRegistryUrl))
		}
	}
	return ""
}

// arnAccount is the account field of an ARN ("" if s is not one).
func arnAccount(s string) string {
	if f := strings.SplitN(s, ":", 6); len(f) == 6 && f[0] == "arn" {
		return f[4]
	}
	return ""
}

// awsMessage is an AWS error's message, or the error.
func awsMessage(err error) string { return awsapi.Message(err) }
