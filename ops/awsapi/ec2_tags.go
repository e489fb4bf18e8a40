package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TagResourcesPerCall bounds the resources of one CreateTags or DeleteTags
// call: "Constraints: Up to 1000 resource IDs. We recommend breaking up
// this request into smaller batches." (CreateTagsInput.Resources and
// DeleteTagsInput.Resources, service/ec2 v1.344).
const TagResourcesPerCall = 500

// TagsAPI tags and untags EC2 resources.
type TagsAPI interface {
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, optFns ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, optFns ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
}

// CreateTags sets tags on the resources ids, TagResourcesPerCall a call, in
// order; the first refused call is returned and no further call is made.
func CreateTags(ctx context.Context, api TagsAPI, ids []string, tags []types.Tag) error {
	for _, batch := range chunks(ids, TagResourcesPerCall) {
		if _, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: batch, Tags: tags}); err != nil {
			return fmt.Errorf("create tags on %s…: %w", batch[0], err)
		}
	}
	return nil
}

// DeleteTags removes tags (by key, or key and value) from the resources
// ids, TagResourcesPerCall a call, in order; the first refused call is
// returned and no further call is made.
func DeleteTags(ctx context.Context, api TagsAPI, ids []string, tags []types.Tag) error {
	for _, batch := range chunks(ids, TagResourcesPerCall) {
		if _, err := api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: batch, Tags: tags}); err != nil {
			return fmt.Errorf("delete tags from %s…: %w", batch[0], err)
		}
	}
	return nil
}
