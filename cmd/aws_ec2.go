package cmd

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// ec2Client exposes only the EC2 operations ecsctl calls. The *ec2.Client is
// never stored in an interface value: urfave/cli renders help through
// text/template, which calls methods by name via reflection, so the linker
// keeps every exported method of every type converted to an interface. For
// EC2 that is over 800 operations and about 19 MB of the binary; behind this
// wrapper only the few below are linked. It holds method values, not the
// client: a struct field of type *ec2.Client would be reachable by reflection
// and keep every method again.
type ec2Client struct {
	describeInstances              func(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	describeInstanceTypes          func(context.Context, *ec2.DescribeInstanceTypesInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error)
	describeLaunchTemplateVersions func(context.Context, *ec2.DescribeLaunchTemplateVersionsInput, ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	createLaunchTemplateVersion    func(context.Context, *ec2.CreateLaunchTemplateVersionInput, ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateVersionOutput, error)
	createTags                     func(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	deleteTags                     func(context.Context, *ec2.DeleteTagsInput, ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
	describeImages                 func(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	deleteLaunchTemplateVersions   func(context.Context, *ec2.DeleteLaunchTemplateVersionsInput, ...func(*ec2.Options)) (*ec2.DeleteLaunchTemplateVersionsOutput, error)
}

func newEC2Client(c *ec2.Client) ec2Client {
	return ec2Client{
		describeInstances:              c.DescribeInstances,
		describeInstanceTypes:          c.DescribeInstanceTypes,
		describeLaunchTemplateVersions: c.DescribeLaunchTemplateVersions,
		createLaunchTemplateVersion:    c.CreateLaunchTemplateVersion,
		createTags:                     c.CreateTags,
		deleteTags:                     c.DeleteTags,
		describeImages:                 c.DescribeImages,
		deleteLaunchTemplateVersions:   c.DeleteLaunchTemplateVersions,
	}
}

func (e ec2Client) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return e.describeInstances(ctx, in, optFns...)
}

func (e ec2Client) DescribeInstanceTypes(ctx context.Context, in *ec2.DescribeInstanceTypesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error) {
	return e.describeInstanceTypes(ctx, in, optFns...)
}

func (e ec2Client) DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	return e.describeLaunchTemplateVersions(ctx, in, optFns...)
}

func (e ec2Client) CreateLaunchTemplateVersion(ctx context.Context, in *ec2.CreateLaunchTemplateVersionInput, optFns ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateVersionOutput, error) {
	return e.createLaunchTemplateVersion(ctx, in, optFns...)
}

func (e ec2Client) CreateTags(ctx context.Context, in *ec2.CreateTagsInput, optFns ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	return e.createTags(ctx, in, optFns...)
}

func (e ec2Client) DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, optFns ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error) {
	return e.deleteTags(ctx, in, optFns...)
}

func (e ec2Client) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	return e.describeImages(ctx, in, optFns...)
}

func (e ec2Client) DeleteLaunchTemplateVersions(ctx context.Context, in *ec2.DeleteLaunchTemplateVersionsInput, optFns ...func(*ec2.Options)) (*ec2.DeleteLaunchTemplateVersionsOutput, error) {
	return e.deleteLaunchTemplateVersions(ctx, in, optFns...)
}
